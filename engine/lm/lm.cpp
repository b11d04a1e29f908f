#include "lm/lm.h"

namespace prism {

const std::string &ChatResponse::text() const
{
    static const std::string empty;
    return choices.empty() ? empty : choices.front();
}

} // namespace prism

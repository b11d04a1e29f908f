#include <cstdio>

int main()
{
    std::puts("prism");
    return 0;
}

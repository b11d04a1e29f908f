#pragma once

// A Monitor page on a run store, shown at a size (the monitor tests).
#include "pages/monitorpage.h"

#include <QSize>

#include <memory>

namespace uitest {

inline std::unique_ptr<MonitorPage> shownMonitor(std::shared_ptr<prism::RunStore> store, const QSize &size)
{
    auto page = std::make_unique<MonitorPage>();
    page->setStore(std::move(store));
    page->resize(size);
    page->show();
    return page;
}

} // namespace uitest

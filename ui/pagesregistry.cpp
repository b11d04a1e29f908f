#include "pagesregistry.h"

#include "mainwindow.h"
#include "pages/datasetpage.h"
#include "pages/metricpage.h"
#include "pages/modelspage.h"
#include "pages/signaturepage.h"
#include "widgets/icons.h"

void registerPages(MainWindow *window)
{
    StudyDocument *doc = window->document();
    window->addPage(QObject::tr("Dataset"), new DatasetPage(doc), studioIcon(QStringLiteral("dataset")));
    window->addPage(QObject::tr("Signature"), new SignaturePage(doc), studioIcon(QStringLiteral("signature")));
    window->addPage(QObject::tr("Metric"), new MetricPage(doc), studioIcon(QStringLiteral("metric")));
    window->addPage(QObject::tr("Models"), new ModelsPage(doc), studioIcon(QStringLiteral("models")));
}

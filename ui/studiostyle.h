#pragma once

class QApplication;

// The studio's look: Fusion with a light palette and resources/styles/light.qss.
// The app and the GUI tests call it, so screenshots look like the app.
void applyStudioStyle(QApplication *app);

// Registers the studio's resources (style sheet, help pages); idempotent.
// applyStudioStyle calls it; so does any widget that reads a resource.
void initStudioResources();

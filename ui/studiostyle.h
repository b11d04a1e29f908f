#pragma once

class QApplication;

// The studio's look: Fusion with a light palette and resources/styles/light.qss.
// The app and the GUI tests call it, so screenshots look like the app.
void applyStudioStyle(QApplication *app);

"""The Qt application: window, item models, widgets, controller and background runners."""

//! The one error of the web app's views: an HTTP status and a message for the user. Below
//! both the workspace (which refuses what is not loaded yet) and the views (which refuse bad
//! requests).

/// A failed request: the HTTP status and a message for the user.
pub struct ApiError(pub u16, pub String);

//! Every refusal the HTTP side can give, as one type with a readable body.
//!
//! warp's default rejections are terse (an empty 404, "Invalid query
//! string"). People poke at a server with curl and browsers, so each
//! refusal here says what was wrong and what to do instead.

use http::{header, HeaderValue, StatusCode};
use warp::reject::Reject;
use warp::reply::Response;
use warp::{Rejection, Reply};

/// A request the server refuses, and why.
#[derive(Debug, Clone)]
pub enum Problem {
    /// A WebSocket endpoint was requested without the upgrade headers.
    UpgradeRequired(&'static str),
    /// `Sec-WebSocket-Version` was missing or not 13.
    UnsupportedVersion,
    /// The request was malformed; the text says how.
    BadRequest(String),
    /// Nothing is served at this path.
    NotFound,
    /// A credential is required and was not given.
    Unauthorized(String),
    /// The request is not allowed (bad Origin, wrong token).
    Forbidden(String),
    /// The request names a host this server does not answer to.
    Misdirected(String),
    /// The request line is longer than the per-line cap.
    UriTooLong(String),
    /// A header line (or the head in all) is longer than its cap.
    HeaderTooLarge(String),
    /// The server cannot take this request now (capacity).
    Unavailable(String),
    /// The server failed; details are in its log.
    Internal,
}

impl Reject for Problem {}

impl Reply for Problem {
    fn into_response(self) -> Response {
        let (status, text) = match self {
            Problem::UpgradeRequired(text) => (StatusCode::UPGRADE_REQUIRED, text.to_owned()),
            Problem::UnsupportedVersion => (
                StatusCode::UPGRADE_REQUIRED,
                "only WebSocket version 13 (RFC 6455) is supported".to_owned(),
            ),
            Problem::BadRequest(text) => (StatusCode::BAD_REQUEST, text),
            Problem::NotFound => (StatusCode::NOT_FOUND, "not found".to_owned()),
            Problem::Unauthorized(text) => (StatusCode::UNAUTHORIZED, text),
            Problem::Forbidden(text) => (StatusCode::FORBIDDEN, text),
            Problem::Misdirected(text) => (StatusCode::MISDIRECTED_REQUEST, text),
            Problem::UriTooLong(text) => (StatusCode::URI_TOO_LONG, text),
            Problem::HeaderTooLarge(text) => (StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE, text),
            Problem::Unavailable(text) => (StatusCode::SERVICE_UNAVAILABLE, text),
            Problem::Internal => (
                StatusCode::INTERNAL_SERVER_ERROR,
                "internal error; see the server log".to_owned(),
            ),
        };
        let is_upgrade = status == StatusCode::UPGRADE_REQUIRED;
        let mut response = warp::reply::with_status(format!("{text}\n"), status).into_response();
        if is_upgrade {
            let headers = response.headers_mut();
            headers.insert(header::UPGRADE, HeaderValue::from_static("websocket"));
            headers.insert(
                header::SEC_WEBSOCKET_VERSION,
                HeaderValue::from_static("13"),
            );
        }
        response
    }
}

/// Turns any rejection into a response with a helpful body.
///
/// Used as the routes' final `recover`, so it must answer everything.
pub async fn recover(rejection: Rejection) -> Result<Response, std::convert::Infallible> {
    if let Some(problem) = rejection.find::<Problem>() {
        return Ok(problem.clone().into_response());
    }
    if rejection.is_not_found() {
        return Ok(Problem::NotFound.into_response());
    }
    if let Some(err) = rejection.find::<warp::reject::InvalidQuery>() {
        return Ok(Problem::BadRequest(format!("bad query string: {err}")).into_response());
    }
    if rejection.find::<warp::reject::MethodNotAllowed>().is_some() {
        return Ok(warp::reply::with_status(
            "method not allowed\n",
            StatusCode::METHOD_NOT_ALLOWED,
        )
        .into_response());
    }
    tracing::debug!("unhandled rejection: {rejection:?}");
    Ok(Problem::BadRequest(format!("{rejection:?}")).into_response())
}

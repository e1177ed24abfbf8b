//! The stylesheet and the script, compiled into the binary (no CDN, no build step), and
//! `brand.css`, the configured accent colour (a file, since the CSP allows no inline style).

use axum::extract::{Path, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};

use super::Dash;

const CSS: &str = include_str!("assets/app.css");
const JS: &str = include_str!("assets/app.js");

/// `GET /assets/{file}`.
pub(super) async fn serve(State(dash): State<Dash>, Path(file): Path<String>) -> Response {
    let (kind, body) = match file.as_str() {
        "app.css" => ("text/css; charset=utf-8", CSS.to_owned()),
        "app.js" => ("text/javascript; charset=utf-8", JS.to_owned()),
        "brand.css" => (
            "text/css; charset=utf-8",
            // Checked at start to be `#rgb` or `#rrggbb`.
            dash.settings
                .config
                .brand_accent
                .as_deref()
                .map(|c| format!(":root {{ --accent: {c}; }}\n"))
                .unwrap_or_default(),
        ),
        _ => return StatusCode::NOT_FOUND.into_response(),
    };
    (
        [
            (header::CONTENT_TYPE, kind),
            (header::CACHE_CONTROL, "public, max-age=300"),
        ],
        body,
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_assets_stay_small() {
        // The budget for all JS and CSS together.
        assert!(super::CSS.len() + super::JS.len() < 150 * 1024);
    }
}

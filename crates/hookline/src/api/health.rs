//! `/api/v1/health`: 204 when the server and its database answer.

use axum::extract::State;
use axum::http::StatusCode;

use super::AppState;
use super::error::ApiResult;

pub(super) async fn health(State(state): State<AppState>) -> ApiResult<StatusCode> {
    state.store.has_admin_token().await?;
    Ok(StatusCode::NO_CONTENT)
}

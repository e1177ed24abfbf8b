//! `/api/v1/token`: admin tokens beyond the first (a Hookline extension): one per script
//! or person, each revocable on its own. Only an admin token may manage them; the text of a
//! new token is answered once and only its hash is stored.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;

use super::error::{ApiError, ApiResult};
use super::extract::{Auth, Body, Params};
use super::types::{ListResponse, TokenCreatedOut, TokenIn, TokenOut, format_date};
use super::{AppState, list_response, page};
use crate::crypto::token_hash;
use crate::ids::{new_id, random_token};
use crate::store::{Order, Token, TokenInfo};

fn out(t: TokenInfo) -> TokenOut {
    TokenOut {
        id: t.id,
        name: t.name,
        created_at: format_date(t.created_at),
        expires_at: t.expires_at.map(format_date),
    }
}

/// The longest lifetime a token can be given: ten years, in seconds.
const MAX_EXPIRES_IN: u32 = 315_360_000;

/// A name is for people reading a list: printable, 1 to 64 characters.
fn check_name(name: &str) -> ApiResult<()> {
    let len = name.chars().count();
    if !(1..=64).contains(&len) || name.chars().any(char::is_control) {
        return Err(ApiError::invalid(
            "body.name",
            "must be 1 to 64 characters, none of them control characters",
        ));
    }
    Ok(())
}

pub(super) async fn create_token(
    State(state): State<AppState>,
    auth: Auth,
    Body(input): Body<TokenIn>,
) -> ApiResult<(StatusCode, Json<TokenCreatedOut>)> {
    auth.require_admin()?;
    check_name(&input.name)?;
    if input
        .expires_in
        .is_some_and(|s| !(1..=MAX_EXPIRES_IN).contains(&s))
    {
        return Err(ApiError::invalid(
            "body.expiresIn",
            "must be 1 to 315360000 seconds (ten years)",
        ));
    }
    let now = crate::now_millis();
    let token = format!("hk_{}", random_token(32));
    let record = Token {
        id: new_id("tok"),
        app_id: None,
        expires_at: input.expires_in.map(|s| now + i64::from(s) * 1000),
        name: Some(input.name),
        caps: None,
    };
    state
        .store
        .create_token(&record, &token_hash(&token), now)
        .await?;
    Ok((
        StatusCode::CREATED,
        Json(TokenCreatedOut {
            id: record.id,
            name: record.name,
            created_at: format_date(now),
            expires_at: record.expires_at.map(format_date),
            token,
        }),
    ))
}

pub(super) async fn list_tokens(
    State(state): State<AppState>,
    auth: Auth,
    params: Params,
) -> ApiResult<Json<ListResponse<TokenOut>>> {
    auth.require_admin()?;
    let page = page(&params, Order::Ascending)?;
    let rows = state.store.list_admin_tokens(&page).await?;
    Ok(Json(list_response(&page, rows, |t| t.id.clone(), out)))
}

/// Revokes at once: this node's token cache is keyed on the store's generation, which the
/// revocation moves on, and on PostgreSQL the other nodes hear of it (`LISTEN/NOTIFY`) and
/// drop theirs.
pub(super) async fn revoke_token(
    State(state): State<AppState>,
    auth: Auth,
    Path(token_id): Path<String>,
) -> ApiResult<StatusCode> {
    auth.require_admin()?;
    if state.store.revoke_admin_token(&token_id).await? {
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(ApiError::NotFound("token"))
    }
}

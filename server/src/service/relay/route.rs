//! `GET /ws/relay/{name}`: checks the target and upgrades.

use socketlab_shared::relay::{BINARY_SUBPROTOCOL, UDP_ECHO};
use socketlab_shared::{Impairment, TargetKind};
use warp::reply::Response;
use warp::{Filter, Rejection, Reply};

use crate::routes::problem::Problem;
use crate::state::AppState;
use crate::transport::websocket::upgrade::{self, Upgrade};

/// Prefix of a subprotocol that carries the relay token, for clients that
/// cannot add query parameters: `token.SECRET`.
pub const TOKEN_SUBPROTOCOL_PREFIX: &str = "token.";

/// The relay's query string: the token, when passed that way.
#[derive(Debug, Default, serde::Deserialize)]
struct TokenQuery {
    token: Option<String>,
}

/// The relay endpoint's filter.
pub fn filter(state: AppState) -> impl Filter<Extract = (Response,), Error = Rejection> + Clone {
    warp::path!("ws" / "relay" / String)
        .and(
            warp::query::<Impairment>()
                .or(warp::any().map(Impairment::default))
                .unify(),
        )
        .and(
            warp::query::<TokenQuery>()
                .or(warp::any().map(TokenQuery::default))
                .unify(),
        )
        .and(upgrade::websocket(&state, "relay"))
        .and(warp::any().map(move || state.clone()))
        .and_then(accept)
}

async fn accept(
    name: String,
    impairment: Impairment,
    query: TokenQuery,
    upgrade: Upgrade,
    state: AppState,
) -> Result<Response, Rejection> {
    let token_protocol = upgrade
        .offered_protocols()
        .into_iter()
        .find(|p| p.starts_with(TOKEN_SUBPROTOCOL_PREFIX))
        .map(str::to_owned);
    if let Some(expected) = &state.config.relay_token {
        let given = query.token.as_deref().or(token_protocol
            .as_deref()
            .and_then(|p| p.strip_prefix(TOKEN_SUBPROTOCOL_PREFIX)));
        check_token(expected, given).map_err(|problem| {
            state.metrics.refused("bad_token");
            warp::reject::custom(problem)
        })?;
    }
    // Refuse before upgrading: an unknown name is a plain 404, so a client
    // can never make the server connect anywhere that is not allow-listed.
    let Some(target) = state.relay.get(&name) else {
        state.metrics.refused("unknown_target");
        return Ok(
            warp::reply::with_status("unknown relay target\n", http::StatusCode::NOT_FOUND)
                .into_response(),
        );
    };
    impairment
        .validate()
        .map_err(|e| warp::reject::custom(Problem::BadRequest(e)))?;
    let impaired = !impairment.is_none();
    if impaired && (name != UDP_ECHO || state.udp_impairments.is_none()) {
        return Err(warp::reject::custom(Problem::BadRequest(format!(
            "simulated loss, duplication, reordering and delay exist only on the built-in \
             {UDP_ECHO} target, not on {name:?}"
        ))));
    }
    // websockify compatibility: noVNC offers `binary`; answer with it.
    // A browser fails the connection if it offered subprotocols and none
    // is chosen, so a token-only offer is answered with the token protocol.
    let protocol = if upgrade.offered_protocols().contains(&BINARY_SUBPROTOCOL) {
        Some(BINARY_SUBPROTOCOL.to_owned())
    } else {
        token_protocol
    };
    let config = state.relay_ws_config(target.kind);
    let shutdown = state.shutdown.clone();
    let limits = state.relay_limits();
    let metrics = state.metrics.clone();
    let impairments = state.udp_impairments.clone().filter(|_| impaired);
    Ok(
        upgrade.accept(config, protocol.as_deref(), move |ws, _| async move {
            let relay = super::Relay {
                name,
                addr: target.addr,
                shutdown,
                limits,
                metrics,
            };
            match target.kind {
                TargetKind::Tcp => super::tcp::run(ws, relay).await,
                TargetKind::Udp => {
                    let impairment = impairments.map(|registry| (registry, impairment));
                    super::udp::run(ws, relay, impairment).await
                }
            }
        }),
    )
}

/// Compares the token in constant time, so response timing reveals nothing
/// about how much of a guess was right.
fn check_token(expected: &str, given: Option<&str>) -> Result<(), Problem> {
    use subtle::ConstantTimeEq;
    let Some(given) = given else {
        return Err(Problem::Unauthorized(
            "this relay needs a token: add ?token=SECRET to the URL or offer the \
             subprotocol token.SECRET"
                .to_owned(),
        ));
    };
    if bool::from(expected.as_bytes().ct_eq(given.as_bytes())) {
        Ok(())
    } else {
        Err(Problem::Forbidden("wrong relay token".to_owned()))
    }
}

//! Who may use the relay, and to where: the checks made before a relay
//! session starts, on any transport.
//!
//! The target must be allow-listed by name (a client can never make the
//! server connect anywhere else), the token must match when one is set,
//! and a simulated network exists only on the built-in `udp-echo`.

use socketlab_shared::relay::UDP_ECHO;
use socketlab_shared::Impairment;

use super::{RelayTarget, RelayTargets};
use crate::telemetry::Metrics;

/// Prefix of a subprotocol that carries the relay token, for clients that
/// cannot add query parameters: `token.SECRET`.
pub const TOKEN_SUBPROTOCOL_PREFIX: &str = "token.";

/// The token a client offered as a `token.SECRET` subprotocol, if any:
/// the whole subprotocol (to answer with) and the secret in it.
pub fn token_protocol<'a>(
    offered: impl IntoIterator<Item = &'a str>,
) -> Option<(&'a str, &'a str)> {
    offered.into_iter().find_map(|protocol| {
        protocol
            .strip_prefix(TOKEN_SUBPROTOCOL_PREFIX)
            .map(|secret| (protocol, secret))
    })
}

/// Why a relay request was refused; each maps to one HTTP status.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// No token was given, and one is required (401).
    TokenMissing(String),
    /// The token is wrong (403).
    TokenWrong(String),
    /// No target of that name is allow-listed (404).
    UnknownTarget,
    /// The request's options are wrong (400).
    BadRequest(String),
}

/// A request that passed every check.
#[derive(Debug, Clone)]
pub struct Admitted {
    /// Where to relay to.
    pub target: RelayTarget,
    /// The simulated network to apply, when one was asked for.
    pub impairment: Option<Impairment>,
}

/// What the checks need from the server.
pub struct Access<'a> {
    /// The allow-list.
    pub targets: &'a RelayTargets,
    /// The token the relay requires (`--relay-token`), if any.
    pub token: Option<&'a str>,
    /// Whether the built-in `udp-echo` runs, the one target with a
    /// simulated network.
    pub impairable: bool,
    /// Where refusals are counted.
    pub metrics: &'a Metrics,
}

impl Access<'_> {
    /// Checks a request for the target `name` with the client's `token`
    /// (from the query or a `token.` subprotocol) and `impairment` options.
    pub fn admit(
        &self,
        name: &str,
        token: Option<&str>,
        impairment: Impairment,
    ) -> Result<Admitted, Refusal> {
        let refuse_token = |refusal| {
            self.metrics.refused("bad_token");
            refusal
        };
        // An unknown name is refused before anything else happens, so a
        // client can never make the server connect anywhere that is not
        // allow-listed; with --relay-token set, only after the token, so
        // a client without it learns nothing from the answer.
        let Some(target) = self.targets.get(name) else {
            if let Some(expected) = self.token {
                check_token(expected, token).map_err(refuse_token)?;
            }
            self.metrics.refused("unknown_target");
            return Err(Refusal::UnknownTarget);
        };
        // A target's own token replaces the global one: whoever holds
        // --relay-token does not also hold the keys to every target.
        if let Some(expected) = target.options.token.as_deref().or(self.token) {
            check_token(expected, token).map_err(refuse_token)?;
        }
        impairment.validate().map_err(Refusal::BadRequest)?;
        let impaired = !impairment.is_none();
        if impaired && (name != UDP_ECHO || !self.impairable) {
            return Err(Refusal::BadRequest(format!(
                "simulated loss, duplication, reordering and delay exist only on the built-in \
                 {UDP_ECHO} target, not on {name:?}"
            )));
        }
        Ok(Admitted {
            target,
            impairment: impaired.then_some(impairment),
        })
    }
}

/// Compares the token in constant time, so response timing reveals nothing
/// about how much of a guess was right.
fn check_token(expected: &str, given: Option<&str>) -> Result<(), Refusal> {
    use subtle::ConstantTimeEq;
    let Some(given) = given else {
        return Err(Refusal::TokenMissing(
            "this relay needs a token: add ?token=SECRET to the URL or offer the \
             subprotocol token.SECRET"
                .to_owned(),
        ));
    };
    if bool::from(expected.as_bytes().ct_eq(given.as_bytes())) {
        Ok(())
    } else {
        Err(Refusal::TokenWrong("wrong relay token".to_owned()))
    }
}

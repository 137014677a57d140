//! Which subprotocol a relay answers with (`Sec-WebSocket-Protocol`).
//!
//! A client that offers subprotocols fails the handshake when the server
//! selects none (browsers: "Sent non-empty 'Sec-WebSocket-Protocol' header
//! but no response was received"; Node's `ws`: "Server sent no
//! subprotocol"), so MQTT.js, which offers `mqtt`, could not use a relay
//! that ignored it. The rule here: the first subprotocol the client offers
//! that the target allows wins; `binary` (websockify, noVNC) is allowed on
//! every target; a client that offers only protocols the target does not
//! speak is told so before the upgrade, with the list it could use.
//!
//! `token.SECRET` carries the relay token for clients that cannot add a
//! query string; it is never a target's protocol, but a client that offers
//! nothing else gets it echoed, so its handshake completes.

use socketlab_shared::relay::BINARY_SUBPROTOCOL;

use crate::service::relay::access::TOKEN_SUBPROTOCOL_PREFIX;

/// The subprotocol to answer with for a client that offered `offered` (in
/// its order) to a target that allows `allowed` (besides `binary`), or the
/// refusal's text.
pub fn select(offered: &[&str], allowed: &[String]) -> Result<Option<String>, String> {
    let (tokens, protocols): (Vec<&str>, Vec<&str>) = offered
        .iter()
        .partition(|p| p.starts_with(TOKEN_SUBPROTOCOL_PREFIX));
    if protocols.is_empty() {
        return Ok(tokens.first().map(|t| (*t).to_owned()));
    }
    if let Some(chosen) = protocols
        .iter()
        .find(|p| **p == BINARY_SUBPROTOCOL || allowed.iter().any(|a| a == *p))
    {
        return Ok(Some((*chosen).to_owned()));
    }
    let speaks: Vec<&str> = allowed
        .iter()
        .map(String::as_str)
        .chain([BINARY_SUBPROTOCOL])
        .collect();
    Err(format!(
        "this relay target speaks the subprotocols {}; the client offered {} \
         (the operator adds protocols to a target with ?protocols=P1,P2 in --relay-target)",
        speaks.join(", "),
        protocols.join(", ")
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn allowed(names: &[&str]) -> Vec<String> {
        names.iter().map(|n| (*n).to_owned()).collect()
    }

    #[test]
    fn the_first_offered_protocol_the_target_allows_wins() {
        let mqtt = allowed(&["mqtt", "mqttv3.1"]);
        let pick = |offered: &[&str]| select(offered, &mqtt);
        assert_eq!(pick(&["mqtt"]), Ok(Some("mqtt".to_owned())));
        assert_eq!(pick(&["mqttv3.1", "mqtt"]), Ok(Some("mqttv3.1".to_owned())));
        assert_eq!(
            pick(&["x", "binary", "mqtt"]),
            Ok(Some("binary".to_owned()))
        );
        assert_eq!(pick(&["token.s", "mqtt"]), Ok(Some("mqtt".to_owned())));
        assert_eq!(pick(&[]), Ok(None));
        assert_eq!(pick(&["token.s"]), Ok(Some("token.s".to_owned())));
        // Subprotocol names are case-sensitive (RFC 6455 section 4.1).
        let err = pick(&["MQTT", "token.s"]).unwrap_err();
        assert!(err.contains("mqtt, mqttv3.1, binary"), "{err}");
        assert!(err.contains("offered MQTT"), "{err}");
        assert!(!err.contains("token.s"), "the token is not echoed: {err}");
        assert_eq!(select(&["binary"], &[]), Ok(Some("binary".to_owned())));
        assert!(select(&["mqtt"], &[])
            .unwrap_err()
            .contains("speaks the subprotocols binary;"));
    }
}

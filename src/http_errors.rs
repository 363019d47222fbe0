//! How an HTTP client of jwctl (to its controller, to an OMS) says what went wrong.

/// The innermost cause of `error`: "connection refused" rather than "error sending request".
pub fn root_cause(error: &(dyn std::error::Error + 'static)) -> String {
    let mut detail = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        detail = cause.to_string();
        source = cause.source();
    }
    detail
}

/// The first 200 bytes of an answer's body, as text, for an error message.
pub fn body_excerpt(body: &[u8]) -> String {
    String::from_utf8_lossy(&body[..body.len().min(200)])
        .trim()
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_excerpt_is_short_and_cuts_no_character_into_a_panic() {
        let long = "é".repeat(300);
        let excerpt = body_excerpt(long.as_bytes());
        assert!(excerpt.len() <= 203, "{}", excerpt.len());
        assert_eq!(body_excerpt(b"  busy \n"), "busy");
    }

    #[test]
    fn the_innermost_cause_is_told() {
        let error = std::io::Error::other(std::io::Error::new(
            std::io::ErrorKind::ConnectionRefused,
            "connection refused",
        ));
        assert_eq!(root_cause(&error), "connection refused");
    }
}

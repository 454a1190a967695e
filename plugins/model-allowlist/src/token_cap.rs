//! Decides how a client's max-token value is clamped to a cap (we clamp; we never raise a value).

/// What to do with the token field.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CapAction {
    /// The client asked for no more than the cap: leave its bytes alone.
    Keep,
    /// Replace the client's value with the cap.
    Replace(u64),
    /// The client gave none: insert the cap.
    Insert(u64),
}

/// The client's value is not a non-negative integer that fits in u64: a 400.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CapError {
    /// Negative, fractional, exponent form or not a number at all.
    NotANonNegativeInteger,
    /// Digits only, but larger than u64.
    TooLarge,
}

/// `client_raw` is the raw JSON number text (never re-formatted), `None` when absent.
pub fn clamp(client_raw: Option<&str>, cap: u64) -> Result<CapAction, CapError> {
    let Some(raw) = client_raw else {
        return Ok(CapAction::Insert(cap));
    };
    if raw.is_empty() || !raw.bytes().all(|b| b.is_ascii_digit()) {
        return Err(CapError::NotANonNegativeInteger);
    }
    let value: u64 = raw.parse().map_err(|_| CapError::TooLarge)?;
    Ok(if value <= cap {
        CapAction::Keep
    } else {
        CapAction::Replace(cap)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clamps_to_the_smaller_value() {
        let cases = [
            (None, Ok(CapAction::Insert(1024))),
            (Some("0"), Ok(CapAction::Keep)),
            (Some("512"), Ok(CapAction::Keep)),
            (Some("1024"), Ok(CapAction::Keep)),
            (Some("1025"), Ok(CapAction::Replace(1024))),
            (Some("-1"), Err(CapError::NotANonNegativeInteger)),
            (Some("1.5"), Err(CapError::NotANonNegativeInteger)),
            (Some("1e3"), Err(CapError::NotANonNegativeInteger)),
            (Some(""), Err(CapError::NotANonNegativeInteger)),
            (Some("99999999999999999999999"), Err(CapError::TooLarge)),
        ];
        for (raw, want) in cases {
            assert_eq!(clamp(raw, 1024), want, "{raw:?}");
        }
    }
}

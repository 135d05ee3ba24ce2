use std::fmt;

use serde::{Deserialize, Serialize};

/// An amount of renminbi in integer fen (分). 100 fen = 1 yuan. Never a float.
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize,
)]
#[serde(transparent)]
pub struct Money(pub i64);

impl Money {
    pub const ZERO: Money = Money(0);

    pub fn fen(amount: i64) -> Self {
        Self(amount)
    }

    pub fn as_fen(self) -> i64 {
        self.0
    }

    pub fn checked_add(self, other: Money) -> Option<Money> {
        self.0.checked_add(other.0).map(Money)
    }

    pub fn checked_sub(self, other: Money) -> Option<Money> {
        self.0.checked_sub(other.0).map(Money)
    }

    pub fn checked_mul(self, quantity: i64) -> Option<Money> {
        self.0.checked_mul(quantity).map(Money)
    }

    pub fn is_negative(self) -> bool {
        self.0 < 0
    }
}

impl fmt::Display for Money {
    /// Yuan with two decimals, e.g. `¥12.05`, for people; JSON always carries fen.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let sign = if self.0 < 0 { "-" } else { "" };
        let abs = self.0.unsigned_abs();
        write!(f, "{sign}¥{}.{:02}", abs / 100, abs % 100)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn money_displays_as_yuan_with_two_decimals() {
        assert_eq!(Money::fen(1205).to_string(), "¥12.05");
        assert_eq!(Money::fen(-5).to_string(), "-¥0.05");
        assert_eq!(Money::fen(i64::MIN).to_string(), "-¥92233720368547758.08");
    }

    #[test]
    fn money_arithmetic_refuses_overflow() {
        assert_eq!(Money::fen(i64::MAX).checked_add(Money::fen(1)), None);
        assert_eq!(Money::fen(300).checked_mul(3), Some(Money::fen(900)));
    }

    #[test]
    fn money_travels_as_a_plain_integer() {
        assert_eq!(
            serde_json::to_string(&Money::fen(990)).ok().as_deref(),
            Some("990")
        );
    }
}

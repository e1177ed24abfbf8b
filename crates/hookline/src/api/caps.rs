//! App-portal capabilities, as Svix names them on `app-portal-access`: what a token limited
//! to one application may do there. Checked by the API handlers themselves
//! ([`super::extract::Auth::require`]), so the dashboard's pages, which call the same
//! handlers, cannot do more than the API would let the same caller do.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// One capability.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[schema(as = AppPortalCapability)]
pub enum Cap {
    /// See the application, its endpoints, messages and attempts (always granted: a
    /// portal that sees nothing is of no use, and Svix requires it).
    ViewBase,
    /// Read an endpoint's signing secret.
    ViewEndpointSecret,
    /// Rotate an endpoint's signing secret.
    ManageEndpointSecret,
    /// Resend, recover and send test events: attempts on the caller's say-so.
    CreateAttempts,
    /// Create, edit, enable/disable and delete endpoints and their headers.
    ManageEndpoint,
}

impl Cap {
    pub const EVERY: [Cap; 5] = [
        Cap::ViewBase,
        Cap::ViewEndpointSecret,
        Cap::ManageEndpointSecret,
        Cap::CreateAttempts,
        Cap::ManageEndpoint,
    ];

    fn bit(self) -> u8 {
        1 << (self as u8)
    }

    pub fn name(self) -> &'static str {
        match self {
            Cap::ViewBase => "ViewBase",
            Cap::ViewEndpointSecret => "ViewEndpointSecret",
            Cap::ManageEndpointSecret => "ManageEndpointSecret",
            Cap::CreateAttempts => "CreateAttempts",
            Cap::ManageEndpoint => "ManageEndpoint",
        }
    }
}

/// A set of capabilities, as a bit set (it is stored as this number).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Caps(u8);

impl Caps {
    pub const ALL: Caps = Caps(0b1_1111);
    pub const VIEW: Caps = Caps(0b1);

    /// The set a request asks for: the capabilities named (all when none are), `ViewBase`
    /// always, and with `readOnly` nothing but the views (Svix's read-only portal shows
    /// endpoints and their secrets but changes nothing).
    pub fn grant(capabilities: Option<&[Cap]>, read_only: bool) -> Caps {
        let mut caps = match capabilities {
            None => Caps::ALL,
            Some(list) => Caps(list.iter().fold(Cap::ViewBase.bit(), |b, c| b | c.bit())),
        };
        if read_only {
            caps.0 &= Cap::ViewBase.bit() | Cap::ViewEndpointSecret.bit();
        }
        caps
    }

    pub fn has(self, cap: Cap) -> bool {
        self.0 & cap.bit() != 0
    }

    pub fn bits(self) -> i64 {
        i64::from(self.0)
    }

    /// From the stored number; unknown bits are dropped.
    pub fn from_bits(bits: i64) -> Caps {
        Caps((bits & i64::from(Caps::ALL.0)) as u8 | Cap::ViewBase.bit())
    }

    pub fn names(self) -> Vec<&'static str> {
        Cap::EVERY
            .into_iter()
            .filter(|c| self.has(*c))
            .map(Cap::name)
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grants_follow_the_request() {
        assert_eq!(Caps::grant(None, false), Caps::ALL);
        let g = Caps::grant(Some(&[Cap::CreateAttempts]), false);
        assert!(g.has(Cap::ViewBase) && g.has(Cap::CreateAttempts));
        assert!(!g.has(Cap::ManageEndpoint) && !g.has(Cap::ViewEndpointSecret));
        let ro = Caps::grant(None, true);
        assert!(ro.has(Cap::ViewEndpointSecret) && !ro.has(Cap::ManageEndpointSecret));
        assert!(!ro.has(Cap::CreateAttempts) && !ro.has(Cap::ManageEndpoint));
        assert_eq!(Caps::from_bits(Caps::ALL.bits()), Caps::ALL);
        assert_eq!(Caps::from_bits(0), Caps::VIEW);
    }
}

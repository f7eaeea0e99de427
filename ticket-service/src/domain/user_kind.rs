//! [`UserKind`]: customer or support agent.

/// Customer or support agent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UserKind {
    Customer,
    Agent,
}

impl UserKind {
    pub fn as_str(self) -> &'static str {
        match self {
            UserKind::Customer => "customer",
            UserKind::Agent => "agent",
        }
    }

    pub fn parse(s: &str) -> Option<UserKind> {
        match s {
            "customer" => Some(UserKind::Customer),
            "agent" => Some(UserKind::Agent),
            _ => None,
        }
    }
}

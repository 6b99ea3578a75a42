//! Where a request came from, for the activity log, rate limits and the mails that say "from
//! where".

use std::net::IpAddr;

/// Where a request came from, for the audit log and security notices.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RequestMeta {
    pub ip: Option<IpAddr>,
    pub user_agent: Option<String>,
}

impl RequestMeta {
    pub fn new(ip: Option<IpAddr>, user_agent: Option<&str>) -> Self {
        // Bounded: a client chooses its user agent, the log should not grow with it.
        let user_agent = user_agent.map(|ua| ua.chars().filter(|c| !c.is_control()).take(256).collect());
        RequestMeta { ip, user_agent }
    }
}

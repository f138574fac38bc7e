//! Where a run's clock faults go: anywhere the aim deck says for the own electors, and for a
//! third-party target wherever its catalog entry says the clock decides a lease
//! (`splitbrain_targets::thirdparty::catalog::ClockAim`): the server nodes (Redis expires keys
//! on its own clock), the candidates that are not leading (client-go judges the holder's lease
//! on each candidate's clock), or nowhere (etcd), where a clock fault is not applied at all.
//!
//! Why held, and why drift: a follower under client-go measures how long the record has stayed
//! unchanged, so only its clock's rate matters (a jump or a strobe is forgotten at the next
//! change it observes), and a fast follower takes over early only once the record stops
//! changing, that is while the leader cannot renew. So for such targets a clock fault is a
//! fast drift (2–4×: a slow follower only delays a takeover), and it stays in force through
//! the next fault window, whose fault is then aimed at the leader (a pause of it, a cut of it
//! alone) to meet it.
//!
//! Neighbours: [`super::Nemesis`] asks [`ClockTargets::pick`] before each clock fault; the
//! target says its aim (`splitbrain_targets::launch::Target::clock_aim`).

use splitbrain_targets::launch::Target;
use splitbrain_targets::thirdparty::catalog::ClockAim;

/// Where this run's clock faults go.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClockTargets {
    /// The target's declared aim; `None` for the own electors (the aim deck decides).
    aim: Option<ClockAim>,
    /// Its server nodes (for [`ClockAim::Servers`]).
    servers: Vec<String>,
}

impl ClockTargets {
    /// Clock faults aimed by the deck, as for the own electors.
    pub fn anywhere() -> ClockTargets {
        ClockTargets { aim: None, servers: Vec::new() }
    }

    /// The aim of `target` on `nodes` (the deck's, where the target declares none).
    pub fn for_target(target: &dyn Target, nodes: &[String]) -> ClockTargets {
        match target.clock_aim(nodes) {
            Some((aim, servers)) => ClockTargets { aim: Some(aim), servers },
            None => ClockTargets::anywhere(),
        }
    }

    /// Whether clock faults are not applied at all on this target.
    pub fn skips(&self) -> bool {
        self.aim == Some(ClockAim::Nowhere)
    }

    /// Whether a clock fault is a drift that stays in force through the next fault window.
    pub fn held(&self) -> bool {
        self.aim == Some(ClockAim::Followers)
    }

    /// The line for the run's log, for a third-party target.
    pub fn describe(&self) -> Option<String> {
        let aim = self.aim?;
        let on = match aim {
            ClockAim::Servers => format!(" ({})", self.servers.join(" ")),
            _ => String::new(),
        };
        Some(format!("{}{on}", aim.describe()))
    }

    /// The nodes of one clock fault: `dealt` (the deck's pick) for the own electors, the
    /// servers, or the `candidates` other than `leader`; `None` when it is not to be applied.
    pub fn pick(
        &self,
        dealt: Vec<String>,
        candidates: &[String],
        leader: Option<&str>,
    ) -> Option<Vec<String>> {
        match self.aim {
            None => Some(dealt),
            Some(ClockAim::Servers) => Some(self.servers.clone()),
            Some(ClockAim::Nowhere) => None,
            Some(ClockAim::Followers) => {
                let followers: Vec<String> =
                    candidates.iter().filter(|c| Some(c.as_str()) != leader).cloned().collect();
                Some(if followers.is_empty() { dealt } else { followers })
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn for_target(name: &str, nodes: &[String]) -> ClockTargets {
        let target = splitbrain_targets::launch::find(name).expect("a built-in target");
        ClockTargets::for_target(target, nodes)
    }

    fn names(n: usize) -> Vec<String> {
        (1..=n).map(|i| format!("n{i}")).collect()
    }

    #[test]
    fn each_target_aims_its_clock_faults_where_the_lease_is_judged() {
        let dealt = vec!["n2".to_string()];
        let all = names(4);
        let candidates = &all[1..];
        let pick = |t: &str| for_target(t, &all).pick(dealt.clone(), candidates, Some("n3"));
        assert_eq!(pick("raft"), Some(dealt.clone()));
        assert_eq!(pick("redis-cas"), Some(vec!["n1".to_string()]));
        assert_eq!(pick("k8s-lease"), Some(vec!["n2".to_string(), "n4".to_string()]));
        assert_eq!(pick("etcd"), None);
    }

    #[test]
    fn only_the_followers_aim_holds_and_every_third_party_aim_is_described() {
        let all = names(3);
        assert!(for_target("k8s-lease", &all).held());
        assert!(!for_target("redis-naive", &all).held());
        assert_eq!(ClockTargets::anywhere().describe(), None);
        let redis = for_target("redis-naive", &all).describe().unwrap();
        assert!(redis.ends_with("(n1)"), "{redis}");
        assert!(for_target("etcd", &all).describe().unwrap().contains("not applied"));
    }
}

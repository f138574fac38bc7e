//! The elector `external` in real `splitbrain-node` processes on loopback (no sandbox): a
//! target file's candidate, hosted by the node, decides who leads; its answers to `confirm`
//! decide whether reads (and, with `confirm_writes`, writes) are served.

mod own_support;

use own_support::TestCluster;
use serde_json::json;
use splitbrain_targets::external::target::FileTarget;
use splitbrain_targets::resource::Mode;
use std::time::Duration;

/// n1 says it leads with token 4 and refuses every confirmation; the others only refuse.
const REFUSER: &str = r#"
[candidate]
command = '''
[ "$SPLITBRAIN_NODE" = n1 ] && echo '{"type":"elected","token":4}'
while read -r line; do
  id=$(printf '%s' "$line" | sed -n 's/.*"id":\([0-9]*\).*/\1/p')
  echo "{\"type\":\"confirm_fail\",\"id\":$id}"
done
'''
"#;

fn cluster(name: &str, extra: &str) -> TestCluster {
    // Kept: the target file must outlive the cluster, which holds it as `&'static`.
    let dir = tempfile::Builder::new().prefix(&format!("sb-ext-{name}-")).tempdir().unwrap().keep();
    let file = dir.join(format!("{name}.toml"));
    let text = REFUSER.replace("[candidate]\n", &format!("[candidate]\n{extra}\n"));
    std::fs::write(&file, text).unwrap();
    let target = FileTarget::load(&file).unwrap();
    TestCluster::start(splitbrain_targets::launch::Target::name(target), 3, None, Mode::Fenced)
}

#[test]
fn the_hosted_candidate_decides_who_leads_and_a_refused_confirmation_fails_the_read() {
    let c = cluster("refuser", "");
    let (leader, token) = c.one_leader(Duration::from_secs(5)).expect("n1 leads");
    assert_eq!((c.name(leader), token), ("n1", 4));
    let written = c.client(leader).write(json!(1)).unwrap();
    assert_eq!(written.0.get("token"), Some(&json!(4)), "{written:?}");
    assert_eq!(c.client(leader).read().unwrap().error(), Some("not-leader"));
    assert_eq!(c.client(1).write(json!(2)).unwrap().error(), Some("not-leader"));
}

#[test]
fn with_confirm_writes_a_refused_confirmation_fails_the_write_too() {
    let c = cluster("confirming", "confirm_writes = true");
    let (leader, _) = c.one_leader(Duration::from_secs(5)).expect("n1 leads");
    assert_eq!(c.client(leader).write(json!(1)).unwrap().error(), Some("not-leader"));
}

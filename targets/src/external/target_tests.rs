use super::*;
use crate::launch::{LayoutOptions, NodeProgram, NodeTiming};
use std::net::IpAddr;

const FILE: &str = r#"
lease_ms = 1500
[[servers]]
name = "kv"
nodes = 2
ready_port = 2379
command = "kv --name {node} --at {addr}:{port} --peer {addr:n2} --dir {data}"
[candidate]
nodes = "others"
command = "./c.sh {servers:kv} {lease_ms} {nodes}"
"#;

fn target(raw: &str) -> FileTarget {
    let file = TargetFile::parse(Path::new("/srv/t/my.toml"), raw).unwrap();
    FileTarget { file, name: "my", about: "", argument: None }
}

fn cluster(n: usize) -> Cluster {
    let node = |i: usize| NodeAddr { name: format!("n{i}"), ip: IpAddr::from([10, 0, 0, i as u8]) };
    Cluster {
        nodes: (1..=n).map(node).collect(),
        port: 7000,
        resource: "10.0.0.254:9000".parse().unwrap(),
        data_root: "/run/x/nodes".into(),
        bug: None,
        seed: 1,
        timing: NodeTiming::default(),
        layout: LayoutOptions::default(),
        node_program: NodeProgram::binary("/usr/bin/splitbrain-node"),
    }
}

fn opt<'a>(spec: &'a ProcessSpec, key: &str) -> Option<&'a str> {
    let prefix = format!("{key}=");
    spec.args.iter().find_map(|a| a.strip_prefix(prefix.as_str()))
}

#[test]
fn servers_and_candidates_get_their_nodes_and_filled_in_commands() {
    let plans = target(FILE).plan(&cluster(4)).unwrap();
    let kv = &plans[0].servers[0];
    assert_eq!((kv.role.as_str(), kv.program.to_str()), ("kv", Some("/bin/sh")));
    assert_eq!(
        kv.args[1],
        "cd -- '/srv/t' && { kv --name n1 --at 10.0.0.1:2379 --peer 10.0.0.2 --dir /run/x/nodes/n1/kv\n}"
    );
    assert_eq!(kv.ready_addr, Some("10.0.0.1:2379".parse().unwrap()));
    assert_eq!(plans[1].servers.len(), 1);
    assert!(plans[0].candidate.is_none() && plans[1].candidate.is_none());
    let c = plans[2].candidate.as_ref().unwrap();
    assert_eq!(opt(c, "command"), Some("./c.sh 10.0.0.1:2379,10.0.0.2:2379 1500 n1 n2 n3 n4"));
    assert_eq!((opt(c, "cwd"), opt(c, "lease-ms")), (Some("/srv/t"), Some("1500")));
    assert_eq!(plans[3].client_addr, Some("10.0.0.4:7000".parse().unwrap()));
    assert_eq!(c.dirs, [PathBuf::from("/run/x/nodes/n3/candidate")]);
}

#[test]
fn what_the_run_cannot_give_is_named_with_the_file_and_line() {
    let table: [(&str, usize, &str); 4] = [
        (FILE, 1, "/srv/t/my.toml:3: [[servers]] kv runs on 2 nodes but the run has 1 (--nodes): give --nodes 2 or more"),
        (FILE, 2, "/srv/t/my.toml:8: [candidate] runs on no node of this run: every node has a server; give --nodes above 2"),
        ("[candidate]\ncommand = \"c {addr:n9}\"\n", 3, "/srv/t/my.toml:1: {addr:n9}: the run has no node n9 (its nodes are n1…n3)"),
        ("[candidate]\ncommand = \"c {lease_ms}\"\n", 3, "/srv/t/my.toml:1: {lease_ms} is used, but neither --lease nor lease_ms in the file gives a lease: add e.g. lease_ms = 2000"),
    ];
    for (raw, nodes, want) in table {
        let err = target(raw).plan(&cluster(nodes)).expect_err(want).to_string();
        assert_eq!(err, want);
    }
}

#[test]
fn lease_from_the_command_line_wins_over_the_files() {
    let mut c = cluster(3);
    c.layout.lease = Some(std::time::Duration::from_millis(900));
    assert_eq!(target(FILE).lease_ms(&c), Some(900));
    assert_eq!(target(FILE).lease_ms(&cluster(3)), Some(1500));
}

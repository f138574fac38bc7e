use super::*;

const GOOD: &str = r#"
name = "etcdctl"
nodes = 5
tokens = true
lease_ms = 2000
clock_aim = "nowhere"

[[servers]]
name = "etcd"
nodes = 3
command = "etcd --name {node} --data-dir {data} --listen-client-urls http://{addr}:{port}"
ready_port = 2379
clock_shim = false

[candidate]
nodes = "others"
command = "./candidate.sh {servers:etcd} {lease_ms}"
confirm_writes = true
faults = ["partition", "kill"]
"#;

fn parse(raw: &str) -> Result<TargetFile, FileError> {
    TargetFile::parse(Path::new("dir/t.toml"), raw)
}

#[test]
fn a_good_file_reads_into_its_parts() {
    let f = parse(GOOD).unwrap();
    assert_eq!(
        (f.name.as_str(), f.nodes, f.tokens, f.lease_ms),
        ("etcdctl", Some(5), true, Some(2000))
    );
    assert_eq!(f.clock_aim, Some(ClockAim::Nowhere));
    assert!(f.dir.ends_with("dir") && f.dir.is_absolute());
    let s = &f.servers[0];
    assert_eq!(
        (s.name.as_str(), &s.nodes, s.ready_port, s.process.clock_shim),
        ("etcd", &NodeSet::Count(3), 2379, Some(false))
    );
    assert_eq!((&f.candidate.nodes, f.candidate.confirm_writes), (&NodeSet::Others, true));
    assert_eq!(
        f.candidate.process.faults.as_deref(),
        Some(&["partition".to_string(), "kill".to_string()][..])
    );
    assert_eq!(f.candidate.process.line, 15);
}

#[test]
fn the_smallest_file_is_a_candidate_command() {
    let f = TargetFile::parse(Path::new("mine.toml"), "[candidate]\ncommand = \"./c\"\n").unwrap();
    assert_eq!(
        (f.name.as_str(), f.tokens, f.nodes, &f.candidate.nodes),
        ("mine", true, None, &NodeSet::All)
    );
    assert!(f.servers.is_empty());
}

#[test]
fn every_mistake_names_the_file_the_line_and_what_to_write() {
    let table: [(&str, &str); 18] = [
        ("nodes = 5\n[candidate]\ncomand = \"x\"\n", "dir/t.toml:3: unknown key \"comand\" in [candidate]: use one of nodes, command,"),
        ("[candidate]\nnodes = \"all\"\n", "dir/t.toml:1: [candidate] needs command: add e.g. command = \"python3 candidate.py\""),
        ("nodes = 5\n", "dir/t.toml: no [candidate] table: add one with command = \"…\""),
        ("tokens = \"yes\"\n[candidate]\ncommand = \"x\"\n", "dir/t.toml:1: tokens in the file must be true or false, e.g. tokens = true"),
        ("nodes = 0\n[candidate]\ncommand = \"x\"\n", "dir/t.toml:1: nodes in the file must be a whole number from 1 to 250, e.g. nodes = 5"),
        ("[candidate]\ncommand = \"x\"\nnodes = 3\n", "dir/t.toml:3: nodes in [candidate]: write nodes = \"all\", \"others\""),
        ("[candidate]\ncommand = \"x\"\nnodes = [\"m1\"]\n", "dir/t.toml:3: nodes in [candidate]: write"),
        ("[candidate]\ncommand = \"x\"\nnodes = \"others\"\n", "dir/t.toml:3: nodes = \"others\" means the nodes without a server, but there are no [[servers]]: write nodes = \"all\""),
        ("[candidate]\ncommand = \"run {adr}\"\n", "dir/t.toml:2: {adr} in command is not a field: use one of {node}, {addr},"),
        ("[candidate]\ncommand = \"run {servers:redis}\"\n", "dir/t.toml:2: {servers} in a server's own command"),
        ("[[servers]]\nnodes = 1\ncommand = \"s\"\nready_port = 1\n[candidate]\ncommand = \"run {servers:redis}\"\n", "dir/t.toml:6: {servers:redis}: no [[servers]] table has name = \"redis\"; the names are server"),
        ("[candidate]\ncommand = \"run {node:n1}\"\n", "dir/t.toml:2: {node:n1}: {node} takes no argument; write {node}"),
        ("[[servers]]\nnodes = 1\ncommand = \"s\"\n[candidate]\ncommand = \"c\"\n", "dir/t.toml:1: [[servers]] #1 needs ready_port, the TCP port that accepts once the server is up: add e.g. ready_port = 2379"),
        ("[[servers]]\nnodes = 1\ncommand = \"s\"\nready_port = 70000\n[candidate]\ncommand = \"c\"\n", "dir/t.toml:4: ready_port in [[servers]] #1 must be a whole number from 1 to 65535, e.g. ready_port = 2379"),
        ("[[servers]]\nname = \"a\"\nnodes = 1\ncommand = \"s\"\nready_port = 1\n[[servers]]\nname = \"a\"\nnodes = 1\ncommand = \"s\"\nready_port = 2\n[candidate]\ncommand = \"c\"\n", "dir/t.toml:7: two [[servers]] tables are named \"a\": give each its own name = \"…\""),
        ("clock_aim = \"leader\"\n[candidate]\ncommand = \"c\"\n", "dir/t.toml:1: clock_aim \"leader\" is not known: write clock_aim = \"servers\""),
        ("[candidate]\ncommand = \"c\"\nfaults = [\"crash\"]\n", "dir/t.toml:3: unknown fault \"crash\" in faults: use any of partition, pause, kill, clock, loss"),
        ("[candidate\ncommand = \"c\"\n", "dir/t.toml:1: not valid TOML:"),
    ];
    for (raw, want) in table {
        let got = parse(raw).expect_err(raw).to_string();
        assert!(got.starts_with(want), "{raw}\n got: {got}\nwant: {want}…");
    }
}

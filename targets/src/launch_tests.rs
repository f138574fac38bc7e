//! Tests of [`super`] (`launch.rs`), kept apart so the module stays readable.

use super::*;

fn cluster(bug: Option<Bug>) -> Cluster {
    let nodes = (1..=3)
        .map(|i| NodeAddr { name: format!("n{i}"), ip: IpAddr::from([10, 0, 0, i]) })
        .collect();
    Cluster {
        nodes,
        port: DEFAULT_PORT,
        resource: SocketAddr::from(([10, 0, 0, 254], 9000)),
        data_root: PathBuf::from("/run/x"),
        bug,
        seed: 7,
        timing: NodeTiming::default(),
        layout: LayoutOptions::default(),
        node_program: NodeProgram::this_executable(),
    }
}

#[test]
fn raft_is_the_first_target_and_each_own_target_has_its_own_bugs() {
    let raft = targets()[0];
    assert_eq!(raft.name(), "raft");
    assert_eq!(raft.bugs().len(), Bug::RAFT.len());
    assert_eq!(find("paxos").unwrap().bugs().len(), Bug::PAXOS.len());
    assert!(find("bully").unwrap().bugs().is_empty());
    assert!(matches!(find("no-such-target"), Err(LaunchError::UnknownTarget { .. })));
}

#[test]
fn every_built_in_target_is_found_by_its_own_name_and_no_name_is_taken_twice() {
    let all = builtin();
    for t in &all {
        assert_eq!(find(t.name()).unwrap().name(), t.name());
    }
    let mut names: Vec<&str> = all.iter().map(|t| t.name()).collect();
    names.sort_unstable();
    names.dedup();
    assert_eq!(names.len(), all.len(), "{names:?}");
    assert_eq!(all.len(), ELECTORS.len() + catalog::ALL.len());
}

#[test]
fn a_bug_the_target_does_not_have_is_refused_by_name() {
    let bully = find("bully").unwrap();
    let err = bully.plan(&cluster(Some(Bug::ForgetVote))).unwrap_err().to_string();
    assert!(err.starts_with("--bug forget-vote: target bully has no planted bugs;"), "{err}");
    let err = check_bug(find("paxos").unwrap(), Some(Bug::ForgetVote)).unwrap_err().to_string();
    assert!(err.ends_with("has no such bug; use one of forget-promise, no-quorum-check, ignore-rank, stale-read, no-fencing"), "{err}");
    assert!(ELECTORS[0].check(&cluster(Some(Bug::ForgetVote))).is_ok());
}

#[test]
fn every_target_that_plans_refuses_a_bug_it_does_not_have() {
    let none_has = Bug::ALL.into_iter().find(|b| !Bug::RAFT.contains(b)).unwrap();
    for target in builtin().into_iter().filter(|t| !t.bugs().contains(&none_has)) {
        let planned = target.plan(&cluster(Some(none_has)));
        assert!(matches!(planned, Err(LaunchError::UnknownBug { .. })), "{}", target.name());
    }
}

#[test]
fn a_command_line_quotes_only_the_words_that_need_it() {
    let spec = ProcessSpec {
        node: "n1".into(),
        role: "x".into(),
        program: "/bin/x".into(),
        args: ["--port", "", "a b", "it's"].map(String::from).to_vec(),
        env: Vec::new(),
        clock_shim: false,
        ready_addr: None,
        dirs: Vec::new(),
        go: false,
    };
    assert_eq!(spec.command_line(), r"/bin/x --port '' 'a b' 'it'\''s'");
}

#[test]
fn an_own_target_refuses_a_lease_or_a_placement_it_cannot_honour() {
    let raft = &ELECTORS[0];
    let lease =
        LayoutOptions { lease: Some(std::time::Duration::from_secs(2)), ..Default::default() };
    let placed = LayoutOptions { placement: Some(Placement::Separate), ..Default::default() };
    for layout in [lease, placed] {
        let err = raft.check(&Cluster { layout, ..cluster(None) }).unwrap_err();
        assert!(err.to_string().contains("for third-party targets"), "{err}");
    }
    assert!(raft.check(&cluster(None)).is_ok());
}

#[test]
fn every_node_gets_the_same_peer_list_its_own_address_and_data_directory() {
    let c = cluster(Some(Bug::SmallQuorum));
    let peers = peer_list(&c);
    assert_eq!(peers, "n1=10.0.0.1:7000,n2=10.0.0.2:7000,n3=10.0.0.3:7000");
    let args = node_args("raft", &c, &c.nodes[1], &peers, Path::new("/run/x/n2"));
    let joined = args.join(" ");
    assert!(joined.starts_with("--id n2 --listen 10.0.0.2:7000 --peers n1=10.0.0.1:7000,"));
    assert!(joined.contains("--data-dir /run/x/n2 --resource 10.0.0.254:9000"));
    assert!(joined.ends_with("--seed 7 --bug small-quorum"));
}

#[test]
fn every_candidate_runs_the_node_program_with_its_prefix_before_the_node_arguments() {
    let program = NodeProgram { program: "/bin/sb".into(), args_prefix: vec!["node".into()] };
    // Seven nodes: the largest built-in target file (redlock: five masters, two candidates).
    let nodes = (1..=7)
        .map(|i| NodeAddr { name: format!("n{i}"), ip: IpAddr::from([10, 0, 0, i]) })
        .collect();
    let config = Cluster { node_program: program, nodes, ..cluster(None) };
    for target in targets() {
        let plans = target.plan(&config).unwrap();
        for spec in plans.iter().filter_map(|p| p.candidate.as_ref()) {
            assert_eq!(spec.program, PathBuf::from("/bin/sb"), "{}", target.name());
            assert_eq!(spec.args[..3], ["node", "--id", spec.node.as_str()], "{}", target.name());
        }
    }
}

#[test]
fn the_controller_is_its_own_node_program() {
    let own = NodeProgram::this_executable();
    assert_eq!(own.program, std::env::current_exe().unwrap());
    assert_eq!(own.args_prefix, ["node"]);
    assert!(NodeProgram::binary("/x/splitbrain-node").args_prefix.is_empty());
}

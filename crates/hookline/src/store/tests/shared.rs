//! What only a shared store does: several nodes' claims never meet, and the breakers and
//! throttles of one node are seen by the others.

use super::*;

#[tokio::test]
async fn concurrent_claims_from_several_nodes_never_overlap() {
    let Some(t) = postgres().await else { return };
    let s = t.s.clone();
    s.create_app(&app("app_a", None)).await.expect("app");
    for i in 0..8 {
        s.create_endpoint(&endpoint(&format!("ep_{i}"), "app_a"))
            .await
            .expect("ep");
    }
    for i in 0..250 {
        queue(s.as_ref(), &format!("msg_{i:03}"), i).await;
    }
    // Eight claimers at once, as eight nodes would, until the queue is empty.
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..8 {
        let s = s.clone();
        tasks.spawn(async move {
            let mut mine = Vec::new();
            loop {
                let c = s
                    .claim_due(1_000, 100_000, 37, 16, &[])
                    .await
                    .expect("claim");
                if c.is_empty() {
                    return mine;
                }
                assert!(c.iter().all(|c| c.message.is_some()));
                mine.extend(c.into_iter().map(|c| (c.msg_id, c.endpoint_id)));
            }
        });
    }
    let mut all = Vec::new();
    while let Some(r) = tasks.join_next().await {
        all.extend(r.expect("task"));
    }
    let distinct: std::collections::HashSet<_> = all.iter().cloned().collect();
    assert_eq!(all.len(), 2_000, "every delivery claimed");
    assert_eq!(distinct.len(), all.len(), "none claimed twice");
}

#[tokio::test]
async fn an_open_circuit_keeps_every_node_away_until_it_ends() {
    let Some(t) = postgres().await else { return };
    let s = t.s.clone();
    s.create_app(&app("app_a", None)).await.expect("app");
    for id in ["ep_1", "ep_2"] {
        s.create_endpoint(&endpoint(id, "app_a")).await.expect("ep");
    }
    queue(s.as_ref(), "msg_1", 1).await;
    s.open_circuit("ep_1", 500).await.expect("open");
    s.open_circuit("ep_gone", 500)
        .await
        .expect("a deleted endpoint is no error");
    // Neither a refill of that endpoint nor a look at the whole queue takes its rows.
    let refill = s
        .claim_for(100, 100_000, &[("ep_1".into(), 10)])
        .await
        .expect("refill");
    assert!(refill.is_empty());
    let c = s.claim_due(100, 100_000, 10, 10, &[]).await.expect("claim");
    assert_eq!(
        c.iter().map(|c| c.endpoint_id.as_str()).collect::<Vec<_>>(),
        ["ep_2"]
    );
    // Past the open period, the endpoint is claimed again; closing clears it at once.
    let c = s.claim_due(600, 100_000, 10, 10, &[]).await.expect("claim");
    assert_eq!(c.len(), 1);
    s.open_circuit("ep_2", 10_000).await.expect("open");
    s.close_circuit("ep_2").await.expect("close");
    queue(s.as_ref(), "msg_2", 800).await;
    let c = s.claim_due(900, 100_000, 10, 10, &[]).await.expect("claim");
    assert_eq!(c.len(), 2);
}

#[tokio::test]
async fn a_restarted_node_takes_back_its_own_claims_and_no_others() {
    let Some(url) = postgres_url().await else {
        return;
    };
    let open = |node: &str| {
        let options = PgOptions {
            url: url.clone(),
            max_connections: 4,
            connect_timeout: std::time::Duration::from_secs(10),
            node_id: Some(node.to_owned()),
        };
        async move { PgStore::open(&options, cipher()).await.expect("open") }
    };
    let a = open("node-a").await;
    let b = open("node-b").await;
    a.create_app(&app("app_a", None)).await.expect("app");
    for id in ["ep_1", "ep_2"] {
        a.create_endpoint(&endpoint(id, "app_a")).await.expect("ep");
    }
    for i in 0..5 {
        queue(&a, &format!("msg_{i}"), i).await;
    }
    let by_a = a.claim_due(10, 100_000, 100, 1, &[]).await.expect("claim");
    let by_b = b.claim_due(10, 100_000, 100, 1, &[]).await.expect("claim");
    assert_eq!((by_a.len(), by_b.len()), (2, 2));
    // Node A dies and starts again under its name: its two claims come back at once,
    // node B's stay B's.
    drop(a);
    let a = open("node-a").await;
    assert_eq!(a.reclaim_after_restart(20).await.expect("reclaim"), 2);
    let again = a.claim_due(30, 100_000, 100, 5, &[]).await.expect("claim");
    let mut got: Vec<_> = again.iter().map(|c| c.msg_id.clone()).collect();
    got.sort();
    // A's two back, and the six never claimed (ten deliveries, four claimed).
    assert_eq!(again.len(), 8);
    assert!(by_a.iter().all(|c| got.contains(&c.msg_id)));
    assert!(by_b.iter().all(|c| {
        !again
            .iter()
            .any(|d| d.msg_id == c.msg_id && d.endpoint_id == c.endpoint_id)
    }));
}

#[tokio::test]
async fn throttle_slots_are_shared_and_spaced() {
    let Some(t) = postgres().await else { return };
    let s = t.s.clone();
    s.create_app(&app("app_a", None)).await.expect("app");
    s.create_endpoint(&endpoint("ep_1", "app_a"))
        .await
        .expect("ep");
    // Twenty slots taken at once, as from several nodes: all distinct, 100 ms apart.
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..20 {
        let s = s.clone();
        tasks.spawn(async move { s.throttle_slot("ep_1", 100, 1_000).await });
    }
    let mut slots = Vec::new();
    while let Some(r) = tasks.join_next().await {
        slots.push(r.expect("task").expect("slot").expect("shared"));
    }
    slots.sort_unstable();
    assert_eq!(slots, (0..20).map(|i| 1_000 + 100 * i).collect::<Vec<_>>());
    // No credit builds up while idle.
    assert_eq!(
        s.throttle_slot("ep_1", 100, 50_000).await.expect("slot"),
        Some(50_000)
    );
}

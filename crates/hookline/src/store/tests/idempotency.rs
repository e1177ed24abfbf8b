//! Idempotency keys: claimed once, bound to their request.

use super::*;

pub(super) async fn idempotency_keys_claim_once(t: TestStore) {
    let s = t.s.clone();
    assert_eq!(
        s.claim_idempotency_key("k", "fp", 1).await.expect("claim"),
        None
    );
    assert_eq!(
        s.claim_idempotency_key("k", "fp", 2).await.expect("claim"),
        Some(Idempotent::InProgress)
    );
    s.finish_idempotency_key("k", 201, b"{}")
        .await
        .expect("finish");
    assert_eq!(
        s.claim_idempotency_key("k", "fp", 3).await.expect("claim"),
        Some(Idempotent::Done {
            status: 201,
            body: b"{}".to_vec()
        })
    );
    assert_eq!(s.purge_idempotency_keys(2).await.expect("purge"), 1);
    assert_eq!(
        s.claim_idempotency_key("k", "fp", 4).await.expect("claim"),
        None
    );
}

pub(super) async fn idempotency_keys_are_bound_to_their_request(t: TestStore) {
    let s = t.s.clone();
    assert_eq!(
        s.claim_idempotency_key("k", "a", 0).await.expect("claim"),
        None
    );
    // Running or done, another request is told so, not given the first one's state.
    assert_eq!(
        s.claim_idempotency_key("k", "b", 1).await.expect("claim"),
        Some(Idempotent::OtherRequest)
    );
    // A stale claim is taken over by its own request only.
    let later = 10 * 60 * 1000;
    assert_eq!(
        s.claim_idempotency_key("k", "b", later)
            .await
            .expect("claim"),
        Some(Idempotent::OtherRequest)
    );
    assert_eq!(
        s.claim_idempotency_key("k", "a", later)
            .await
            .expect("claim"),
        None
    );
    s.finish_idempotency_key("k", 202, b"{}")
        .await
        .expect("finish");
    assert_eq!(
        s.claim_idempotency_key("k", "b", later + 1)
            .await
            .expect("claim"),
        Some(Idempotent::OtherRequest)
    );
    // Released (a refusal is not kept): free for any request.
    assert_eq!(
        s.claim_idempotency_key("j", "a", 0).await.expect("claim"),
        None
    );
    s.release_idempotency_key("j").await.expect("release");
    assert_eq!(
        s.claim_idempotency_key("j", "b", 1).await.expect("claim"),
        None
    );
}

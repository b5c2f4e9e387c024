# The Consul ACL policy zkv needs, and nothing more: every zkv process (node, launcher, CLI,
# client library) works with a token of this policy against an agent whose ACLs default to
# deny. The test harness (startTestConsul) loads this very file, so the end-to-end suite runs
# under exactly these rules. Create the policy and a token, then give every zkv process the
# token's SecretID as CONSUL_HTTP_TOKEN:
#
#   consul acl policy create -name zkv -rules @deploy/consul-acl-policy.hcl
#   consul acl token create -description "zkv" -policy-name zkv

# Nodes register service "zkv", pass its TTL check and deregister; everyone reads its health.
service "zkv" {
  policy = "write"
}

# Health queries (/v1/health/service/zkv) only return instances on nodes the token may read;
# without this rule zkv sees an empty cluster rather than an error.
node_prefix "" {
  policy = "read"
}

# The initial cluster size, as the seed defines it (the launcher writes it with --cluster-size,
# a rebalance keeps it equal to the member count).
key "cluster_size" {
  policy = "write"
}

# Everything else zkv keeps in KV: zkv/hashing, zkv/placement, zkv/rebalance-lock and
# zkv/rebalance-progress (what a running add/remove reports, for the dashboard).
key_prefix "zkv/" {
  policy = "write"
}

# The CURVE allow-list (zkv/curve/allowed-clients) is read, never written, by zkv: a leaked zkv
# token must not be able to admit new clients. Operators edit it with their own token.
key_prefix "zkv/curve/" {
  policy = "read"
}

# The rebalance lock is a KV key held by a session, created on the node of the agent zkv talks to.
session_prefix "" {
  policy = "write"
}

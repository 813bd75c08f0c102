// Package rbac holds the agent's permissions as kubebuilder RBAC markers, and nothing else: `make manifests`
// (controller-gen) turns the markers of every package into config/rbac/role.yaml, the ClusterRole
// nftpolicy-agent, so the controllers may state what their watches need beside them too; this is the whole list
// in one place, with the reasons. Never edit role.yaml by hand; config's TestDefaultRoleLeastPrivilege pins the
// result, so a new permission is a deliberate change in two places.
//
// Least privilege, and where Kubernetes RBAC cannot go further:
//   - The agent reads what NetworkPolicy semantics depend on: pods, namespaces, networkpolicies (get, list, watch).
//   - And what ClusterNetworkPolicy semantics depend on: clusternetworkpolicies (policy.networking.k8s.io) and
//     nodes, whose status.addresses are what a nodes peer matches (get, list, watch). Never the status of a
//     ClusterNetworkPolicy: what a node enforces goes to its NodePolicyStatus and to Events.
//   - It writes Events (events.k8s.io/v1, the API client-go's tools/events records to) on policies it cannot
//     enforce and, with --drop-events, on pods whose packets it dropped.
//   - It writes its own node's NodePolicyStatus. RBAC cannot restrict create to one object name (the name is not
//     known to the authorizer on create) and one ClusterRole serves every node, so every agent may write every
//     node's status. config/admission closes that gap: a ValidatingAdmissionPolicy admits the agent's writes
//     only to the object named after the node in its pod-bound token (user extra
//     authentication.kubernetes.io/node-name, Kubernetes 1.30+).
//   - It also gets its own Node by name, to set an owner reference on its NodePolicyStatus, so that the object
//     is garbage-collected with the node.
//   - It creates TokenReviews and SubjectAccessReviews, and only for its /metrics: controller-runtime's
//     authentication and authorization filter asks the API server whether a scraper's bearer token is valid and
//     whether its user may get the non-resource URL /metrics (ClusterRole nftpolicy-metrics-reader,
//     config/rbac/metrics_reader_role.yaml). Both are create-only reviews that store nothing; what they let the
//     agent learn is whether a given token is valid, and whom the API server allows what.
//   - No delete anywhere: a NodePolicyStatus goes away with its Node or by hand.
//
// +kubebuilder:rbac:groups="",resources=pods;namespaces,verbs=get;list;watch
// +kubebuilder:rbac:groups=networking.k8s.io,resources=networkpolicies,verbs=get;list;watch
// +kubebuilder:rbac:groups=events.k8s.io,resources=events,verbs=create;patch
// +kubebuilder:rbac:groups="",resources=nodes,verbs=get;list;watch
// +kubebuilder:rbac:groups=policy.networking.k8s.io,resources=clusternetworkpolicies,verbs=get;list;watch
// +kubebuilder:rbac:groups=nftpolicy.dev,resources=nodepolicystatuses,verbs=get;create;update;patch
// +kubebuilder:rbac:groups=nftpolicy.dev,resources=nodepolicystatuses/status,verbs=get;update;patch
// +kubebuilder:rbac:groups=authentication.k8s.io,resources=tokenreviews,verbs=create
// +kubebuilder:rbac:groups=authorization.k8s.io,resources=subjectaccessreviews,verbs=create
package rbac

// Package backendtest is the conformance suite for [backends.Backend]
// implementations: the executable definition of the contract. Every backend
// runs all of it, once per configuration it supports.
//
// A backend wires the suite from its own tests with [RunConformanceTests]
// and a [HarnessMaker] that gives each subtest a fresh, empty backend plus a
// way to act on the storage behind the backend's back, as another program
// would, and to see what is really stored:
//
//	func TestConformance(t *testing.T) {
//		backendtest.RunConformanceTests(t, newHarness)
//	}
//
//	func newHarness(ctx context.Context, t *testing.T) (backendtest.Harness, error) {
//		dir := t.TempDir()
//		b, err := mybackend.Open(dir)
//		if err != nil {
//			return nil, err
//		}
//		return &harness{dir: dir, b: b}, nil
//	}
//
// The harness type implements [Harness]: Backend returns b, and Write,
// Delete, Read and Entries work on dir directly, with package os. See
// backends/memory and backends/directory for complete harnesses.
//
// The suite tests optional interfaces ([backends.Renamer],
// [backends.DirRemover]) through the helpers [backends.Rename] and
// [backends.RemoveDir], once on the backend as it is and once with its
// optional interfaces hidden, so the fast path must agree with the
// fallback. Backend-specific behaviour (confinement, crash recovery,
// unreachable storage) belongs in the backend's own tests, after the
// conformance wiring.
//
// In every negative case the suite checks the error class with errors.Is
// and that the message names the name involved.
package backendtest

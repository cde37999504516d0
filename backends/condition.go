package backends

// Condition is what the content under a name must be for a mutating
// operation to act. The zero value is [Unconditional].
type Condition struct {
	kind conditionKind
	cid  CID
}

type conditionKind uint8

const (
	anything conditionKind = iota
	nothing
	exactly
)

// Unconditional acts whatever is under the name.
var Unconditional = Condition{}

// NothingThere acts only when nothing is stored under the name.
var NothingThere = Condition{kind: nothing}

// Matches acts only when the content under the name has CID cid.
func Matches(cid CID) Condition { return Condition{kind: exactly, cid: cid} }

// IsUnconditional reports whether c always allows the operation.
func (c Condition) IsUnconditional() bool { return c.kind == anything }

// WantsNothing reports whether c requires the name to be absent.
func (c Condition) WantsNothing() bool { return c.kind == nothing }

// Expected returns the CID c requires, and whether it requires one.
func (c Condition) Expected() (CID, bool) { return c.cid, c.kind == exactly }

// Allows reports whether content with CID current (or absence, when present
// is false) satisfies c.
func (c Condition) Allows(current CID, present bool) bool {
	switch c.kind {
	case nothing:
		return !present
	case exactly:
		return present && current == c.cid
	default:
		return true
	}
}

func (c Condition) String() string {
	switch c.kind {
	case nothing:
		return "nothing expected"
	case exactly:
		return "expected " + string(c.cid)
	default:
		return "unconditional"
	}
}

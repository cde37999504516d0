package main

// The exports any external special remote could reach on this machine: the
// floor remote (floor.go) driven by the same git-annex, on the same tree,
// against git-annex's built-in remotes and against this program. Where a
// target is out of the floor's reach, no external remote can meet it here.

import "fmt"

func (b *bench) floorRows() error {
	r, err := b.smallRepo()
	if err != nil {
		return err
	}
	j := b.sc.jobs
	dir, jobs := exportName(r, 1, "directory"), exportName(r, j, "MinIO")
	const (
		plain   = "the floor: a minimal external remote (one loop; copy to a temporary, rename; no fsync)"
		durable = "the floor with the program's fsync pair (the file before the rename, its directory after)"
		builtin = "git-annex's directory remote, exporttree=yes (no fsync)"
	)
	nostore := fmt.Sprintf("the floor storing nothing (every store succeeds at once), one process per job, -J%d", j)
	nostoreAsync := fmt.Sprintf("the floor storing nothing, ASYNC (one process), -J%d", j)
	s3j := fmt.Sprintf("git-annex's S3 remote, -J%d", j)
	return b.compareExports(r, []exportRow{
		// The target itself, then the best an external remote that fsyncs
		// as the program does could reach, then the parts of that.
		{&row{name: dir, ours: "this program, backend=directory", baseline: builtin, maxRatio: 1.1, targetText: "≤ 1.1×", checkRSS: true},
			b.exporter(r, oursDir, 1), b.exporter(r, builtinDir, 1)},
		{&row{name: dir, ours: durable, baseline: builtin, maxRatio: 1.1, targetText: "≤ 1.1× (else no external remote that fsyncs can meet it here)"},
			b.exporter(r, floorDurableDir, 1), b.exporter(r, builtinDir, 1)},
		// The cost of being an external remote at all.
		{&row{name: dir, ours: plain, baseline: builtin},
			b.exporter(r, floorPlainDir, 1), b.exporter(r, builtinDir, 1)},
		// What durability costs per file, inside a real export.
		{&row{name: dir, ours: durable, baseline: plain, maxDiff: 0.5e-3, targetText: "≤ +0.5 ms/file (the issue's assumption)"},
			b.exporter(r, floorDurableDir, 1), b.exporter(r, floorPlainDir, 1)},
		// The program's own cost, given the same durability.
		{&row{name: dir, ours: "this program, backend=directory", baseline: durable, maxRatio: 1.1, targetText: "≤ 1.1×", checkRSS: true},
			b.exporter(r, oursDir, 1), b.exporter(r, floorDurableDir, 1)},
		// The -J8 target, then the floor for it: above 0.5×, no external
		// remote can be 2× faster than the built-in here, git-annex's own
		// work being the rest.
		{&row{name: jobs, ours: "this program, ASYNC (one process)", baseline: s3j, maxRatio: 0.5, targetText: "≤ 0.5× (2× faster)", checkRSS: true},
			b.exporter(r, oursS3, j), b.exporter(r, builtinS3, j)},
		{&row{name: jobs, ours: nostore, baseline: s3j,
			maxRatio: 0.5, targetText: "≤ 0.5× (else no external remote can be 2× faster here)"},
			b.exporter(r, floorNoStoreDir, j), b.exporter(r, builtinS3, j)},
		{&row{name: jobs, ours: nostoreAsync, baseline: s3j,
			maxRatio: 0.5, targetText: "≤ 0.5× (else no external remote can be 2× faster here)"},
			b.exporter(r, floorNoStoreAsyncDir, j), b.exporter(r, builtinS3, j)},
		{&row{name: jobs, ours: "this program, ASYNC (one process)", baseline: nostoreAsync, checkRSS: true},
			b.exporter(r, oursS3, j), b.exporter(r, floorNoStoreAsyncDir, j)},
	})
}

package backendtest

import "testing"

// RunConformanceTests runs the whole suite against the backends newHarness
// makes, each subtest on a fresh harness.
func RunConformanceTests(t *testing.T, newHarness HarnessMaker) {
	t.Helper()
	// Storing.
	t.Run("StoreSizes", func(t *testing.T) { testStoreSizes(t, newHarness) })
	t.Run("StoreUnknownSize", func(t *testing.T) { testStoreUnknownSize(t, newFixture(t, newHarness)) })
	t.Run("StoreReplaces", func(t *testing.T) { testStoreReplaces(t, newFixture(t, newHarness)) })
	t.Run("StoreFromFile", func(t *testing.T) { testStoreFromFile(t, newFixture(t, newHarness)) })
	t.Run("StoreShortReader", func(t *testing.T) { testStoreShortReader(t, newFixture(t, newHarness)) })
	t.Run("StoreLongReader", func(t *testing.T) { testStoreLongReader(t, newFixture(t, newHarness)) })
	t.Run("StoreFailingReader", func(t *testing.T) { testStoreFailingReader(t, newFixture(t, newHarness)) })
	t.Run("StoreCanceled", func(t *testing.T) { testStoreCanceled(t, newFixture(t, newHarness)) })
	t.Run("StoreProgress", func(t *testing.T) { testStoreProgress(t, newFixture(t, newHarness)) })
	t.Run("StoreVisibility", func(t *testing.T) { testStoreVisibility(t, newFixture(t, newHarness)) })
	t.Run("StoreVisibilityOverExisting", func(t *testing.T) { testStoreVisibilityOverExisting(t, newFixture(t, newHarness)) })

	// Names.
	t.Run("Names", func(t *testing.T) { testNames(t, newHarness) })
	t.Run("InvalidNames", func(t *testing.T) { testInvalidNames(t, newHarness) })
	t.Run("ReservedNames", func(t *testing.T) { testReservedNames(t, newFixture(t, newHarness)) })
	t.Run("LongComponent", func(t *testing.T) { testLongComponent(t, newFixture(t, newHarness)) })

	// Retrieving, Stat and CIDs.
	t.Run("Absent", func(t *testing.T) { testAbsent(t, newFixture(t, newHarness)) })
	t.Run("StatOfDirectory", func(t *testing.T) { testStatOfDirectory(t, newFixture(t, newHarness)) })
	t.Run("CIDStable", func(t *testing.T) { testCIDStable(t, newFixture(t, newHarness)) })
	t.Run("CIDChangesOutOfBand", func(t *testing.T) { testCIDChangesOutOfBand(t, newFixture(t, newHarness)) })
	t.Run("RetrievePinned", func(t *testing.T) { testRetrievePinned(t, newFixture(t, newHarness)) })
	t.Run("RetrieveDuringChange", func(t *testing.T) { testRetrieveDuringChange(t, newFixture(t, newHarness)) })
	t.Run("RetrieveFailingWriter", func(t *testing.T) { testRetrieveFailingWriter(t, newFixture(t, newHarness)) })
	t.Run("OutOfBandFiles", func(t *testing.T) { testOutOfBandFiles(t, newFixture(t, newHarness)) })
	t.Run("Labels", func(t *testing.T) { testLabels(t, newFixture(t, newHarness)) })
	t.Run("Digests", func(t *testing.T) { testDigests(t, newFixture(t, newHarness)) })

	// Conditions.
	t.Run("StoreNothingThere", func(t *testing.T) { testStoreNothingThere(t, newFixture(t, newHarness)) })
	t.Run("StoreMatches", func(t *testing.T) { testStoreMatches(t, newFixture(t, newHarness)) })
	t.Run("RemoveConditions", func(t *testing.T) { testRemoveConditions(t, newFixture(t, newHarness)) })

	// Removing.
	t.Run("Remove", func(t *testing.T) { testRemove(t, newFixture(t, newHarness)) })
	t.Run("RemoveAbsent", func(t *testing.T) { testRemoveAbsent(t, newFixture(t, newHarness)) })
	t.Run("RemovePrunesDirectories", func(t *testing.T) { testRemovePrunesDirectories(t, newFixture(t, newHarness)) })
	t.Run("RemoveDirectoryName", func(t *testing.T) { testRemoveDirectoryName(t, newFixture(t, newHarness)) })
	for _, mode := range []string{"native", "fallback"} {
		t.Run("RemoveDir/"+mode, func(t *testing.T) { testRemoveDir(t, newFixture(t, newHarness), mode) })
		t.Run("RemoveDirAbsent/"+mode, func(t *testing.T) { testRemoveDirAbsent(t, newFixture(t, newHarness), mode) })
		t.Run("RemoveEmptyDir/"+mode, func(t *testing.T) { testRemoveEmptyDir(t, newFixture(t, newHarness), mode) })
		t.Run("RemoveEmptyDirInvalid/"+mode, func(t *testing.T) { testRemoveEmptyDirInvalid(t, newFixture(t, newHarness), mode) })
	}

	// Renaming, through the backend's Renamer and through the fallback.
	for _, mode := range []string{"native", "fallback"} {
		t.Run("RenameToNewName/"+mode, func(t *testing.T) { testRenameToNewName(t, newFixture(t, newHarness), mode) })
		t.Run("RenameIntoNewDirectory/"+mode, func(t *testing.T) { testRenameIntoNewDirectory(t, newFixture(t, newHarness), mode) })
		t.Run("RenameSwap/"+mode, func(t *testing.T) { testRenameSwap(t, newFixture(t, newHarness), mode) })
		t.Run("RenameOverExisting/"+mode, func(t *testing.T) { testRenameOverExisting(t, newFixture(t, newHarness), mode) })
		t.Run("RenameAbsent/"+mode, func(t *testing.T) { testRenameAbsent(t, newFixture(t, newHarness), mode) })
		t.Run("RenameSameName/"+mode, func(t *testing.T) { testRenameSameName(t, newFixture(t, newHarness), mode) })
		t.Run("RenameConditions/"+mode, func(t *testing.T) { testRenameConditions(t, newFixture(t, newHarness), mode) })
		t.Run("RenameDestinationConditions/"+mode, func(t *testing.T) { testRenameDestinationConditions(t, newFixture(t, newHarness), mode) })
		t.Run("RenameSameNameDestination/"+mode, func(t *testing.T) { testRenameSameNameDestination(t, newFixture(t, newHarness), mode) })
	}

	// Listing.
	t.Run("List", func(t *testing.T) { testList(t, newFixture(t, newHarness)) })
	t.Run("ListPrefix", func(t *testing.T) { testListPrefix(t, newFixture(t, newHarness)) })
	t.Run("ListMany", func(t *testing.T) { testListMany(t, newFixture(t, newHarness)) })
	t.Run("ListStopsOnError", func(t *testing.T) { testListStopsOnError(t, newFixture(t, newHarness)) })

	// Concurrency.
	t.Run("ConcurrentStores", func(t *testing.T) { testConcurrentStores(t, newFixture(t, newHarness)) })
	t.Run("ConcurrentStoresSameName", func(t *testing.T) { testConcurrentStoresSameName(t, newFixture(t, newHarness)) })
	t.Run("ConcurrentConditionalStores", func(t *testing.T) { testConcurrentConditionalStores(t, newFixture(t, newHarness)) })
	for _, mode := range []string{"native", "fallback"} {
		t.Run("ConcurrentRenames/"+mode, func(t *testing.T) { testConcurrentRenames(t, newFixture(t, newHarness), mode) })
	}
	t.Run("ConcurrentStoreAndRemoveEmptyDir", func(t *testing.T) { testConcurrentStoreAndRemoveEmptyDir(t, newFixture(t, newHarness)) })
	t.Run("ConcurrentStoreAndRemove", func(t *testing.T) { testConcurrentStoreAndRemove(t, newFixture(t, newHarness)) })
	t.Run("ConcurrentStoreAndConditionalRemove", func(t *testing.T) { testConcurrentStoreAndConditionalRemove(t, newFixture(t, newHarness)) })
}

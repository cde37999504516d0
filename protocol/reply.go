package protocol

import "strconv"

// Typed replies: one constructor per reply form, so every reply has the
// parameters git-annex expects (a TRANSFER-FAILURE always names its
// direction, a CHECKPRESENT-UNKNOWN always carries a reason).

func unsupported() message { return msg("UNSUPPORTED-REQUEST") }

func initRemoteSuccess() message           { return msg("INITREMOTE-SUCCESS") }
func initRemoteFailure(why string) message { return msg("INITREMOTE-FAILURE", why) }
func prepareSuccess() message              { return msg("PREPARE-SUCCESS") }
func prepareFailure(why string) message    { return msg("PREPARE-FAILURE", why) }

func transferSuccess(dir, key string) message { return msg("TRANSFER-SUCCESS", dir, key) }
func transferFailure(dir, key, why string) message {
	return msg("TRANSFER-FAILURE", dir, key, why)
}

func checkPresentSuccess(key string) message { return msg("CHECKPRESENT-SUCCESS", key) }
func checkPresentFailure(key string) message { return msg("CHECKPRESENT-FAILURE", key) }
func checkPresentUnknown(key, why string) message {
	return msg("CHECKPRESENT-UNKNOWN", key, why)
}

func removeSuccess(key string) message      { return msg("REMOVE-SUCCESS", key) }
func removeFailure(key, why string) message { return msg("REMOVE-FAILURE", key, why) }

func exportSupported(ok bool) message {
	if ok {
		return msg("EXPORTSUPPORTED-SUCCESS")
	}
	return msg("EXPORTSUPPORTED-FAILURE")
}

func importSupported(ok bool) message {
	if ok {
		return msg("IMPORTSUPPORTED-SUCCESS")
	}
	return msg("IMPORTSUPPORTED-FAILURE")
}

// The appendix's example word IMPORTABLECONTENTS-SUCCESS is a protocol error
// for 10.20261026 (transcript 06): the listing ends LISTIMPORTABLECONTENTS-.
func importableContent(size int64, name string) message {
	return msg("IMPORTABLECONTENT", strconv.FormatInt(size, 10), name)
}
func importableContentIdentifier(cid string) message {
	return msg("IMPORTABLECONTENTIDENTIFIER", cid)
}
func listImportableContentsSuccess() message { return msg("LISTIMPORTABLECONTENTS-SUCCESS") }
func listImportableContentsFailure(why string) message {
	return msg("LISTIMPORTABLECONTENTS-FAILURE", why)
}
func retrieveImportSuccess() message           { return msg("RETRIEVEIMPORT-SUCCESS") }
func retrieveImportFailure(why string) message { return msg("RETRIEVEIMPORT-FAILURE", why) }
func importKeySuccess(key string) message      { return msg("IMPORTKEY-SUCCESS", key) }
func importKeyFailure(why string) message      { return msg("IMPORTKEY-FAILURE", why) }

// Replies of the conditional draft.
func storeSuccess(key, cid string) message { return msg("STORE-SUCCESS", key, cid) }
func storeFailure(key, why string) message { return msg("STORE-FAILURE", key, why) }
func retrieveSuccess() message             { return msg("RETRIEVE-SUCCESS") }
func retrieveFailure(why string) message   { return msg("RETRIEVE-FAILURE", why) }

func removeExportDirectory(ok bool) message {
	if ok {
		return msg("REMOVEEXPORTDIRECTORY-SUCCESS")
	}
	return msg("REMOVEEXPORTDIRECTORY-FAILURE")
}

func renameExport(key string, ok bool) message {
	if ok {
		return msg("RENAMEEXPORT-SUCCESS", key)
	}
	return msg("RENAMEEXPORT-FAILURE", key)
}

func configLine(s ConfigSetting) message { return msg("CONFIG", s.Name, s.Description) }
func configEnd() message                 { return msg("CONFIGEND") }
func infoField(name string) message      { return msg("INFOFIELD", name) }
func infoValue(value string) message     { return msg("INFOVALUE", value) }
func infoEnd() message                   { return msg("INFOEND") }
func cost(n int) message                 { return msg("COST", strconv.Itoa(n)) }
func availability(a Availability) message {
	return msg("AVAILABILITY", string(a))
}
func whereIsSuccess(where string) message { return msg("WHEREIS-SUCCESS", where) }
func whereIsFailure() message             { return msg("WHEREIS-FAILURE") }

func errorLine(why string) message { return msg("ERROR", why) }

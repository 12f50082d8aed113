// Package pacs is Delineate's DICOMweb client: QIDO-RS search, WADO-RS
// retrieve into a local cache keyed by UIDs, and STOW-RS store, built and
// tested against Debian's Orthanc 1.10 with its DICOMweb plugin 1.7 (see
// ../shared/specs/dicomweb.md for what that server does).
//
// It is written for a GUI as much as for the CLI: every call takes a
// context (cancel returns within a second, with an error that
// errors.Is(err, ErrCancelled)), long transfers report progress in bytes
// and instances through a callback, and failures are *Error values whose
// Kind says what the user can do (check the password, the URL, the
// network). Patient names and IDs are data the caller may show; they never
// appear in errors, paths or anything this package logs (it logs nothing).
// Credentials are held in Auth, whose String and GoString print no secret.
package pacs

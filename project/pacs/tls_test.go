package pacs

import (
	"encoding/pem"
	"net/http"
	"net/http/httptest"
	"testing"
)

type tlsServer struct {
	*httptest.Server
	caPEM []byte
}

func newTLSServer(t *testing.T, h http.Handler) *tlsServer {
	srv := httptest.NewTLSServer(h)
	t.Cleanup(srv.Close)
	cert := srv.Certificate()
	return &tlsServer{Server: srv, caPEM: pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: cert.Raw})}
}

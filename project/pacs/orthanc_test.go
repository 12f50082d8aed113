package pacs

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// The tests run against a real Orthanc (Debian orthanc + orthanc-dicomweb)
// with authentication on. Orthanc 1.10 listens on every interface and has
// no bind-address option, so TestMain re-executes the test binary inside a
// new network namespace that holds only loopback (unshare -n) and starts
// Orthanc there, with its own config and storage in a temporary folder;
// nothing outside the namespace can reach it. Where that is impossible (no
// Orthanc, no plugin, unshare not permitted) the tests that need the
// server skip with the reason.

const (
	orthancBin    = "/usr/sbin/Orthanc"
	dicomwebPlug  = "/usr/share/orthanc/plugins/libOrthancDicomWeb.so"
	orthancPort   = 18042
	orthancUser   = "tester"
	orthancPass   = "s3cret"
	netnsEnv      = "DELINEATE_PACS_NETNS"
	skipEnv       = "DELINEATE_PACS_SKIP"
	orthancURLEnv = "DELINEATE_PACS_URL"
)

// orthancRoot is the server's HTTP root ("" when there is none), and
// serverSkip why not.
var orthancRoot, serverSkip string

func TestMain(m *testing.M) {
	os.Exit(testMain(m))
}

func testMain(m *testing.M) int {
	if u := os.Getenv(orthancURLEnv); u != "" {
		// A server started by hand (credentials tester/s3cret).
		orthancRoot = u
		return m.Run()
	}
	for _, a := range os.Args[1:] {
		if strings.HasPrefix(a, "-test.fuzz") {
			// Fuzzing needs no server, and its workers run TestMain too.
			serverSkip = "fuzzing"
			return m.Run()
		}
	}
	if os.Getenv(netnsEnv) == "" {
		if why := os.Getenv(skipEnv); why != "" {
			serverSkip = why
			return m.Run()
		}
		if why := orthancMissing(); why != "" {
			serverSkip = why
			return m.Run()
		}
		// Re-execute inside a loopback-only network namespace; as root
		// plainly, otherwise in a user namespace that maps us to root.
		for _, flags := range [][]string{{"-n"}, {"-rn"}} {
			if exec.Command("unshare", append(flags, "true")...).Run() != nil {
				continue
			}
			args := append(append([]string{}, flags...), "sh", "-c", `ip link set lo up && exec "$0" "$@"`, os.Args[0])
			cmd := exec.Command("unshare", append(args, os.Args[1:]...)...)
			cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
			cmd.Env = append(os.Environ(), netnsEnv+"=1")
			if err := cmd.Run(); err != nil {
				var ee *exec.ExitError
				if errors.As(err, &ee) {
					return ee.ExitCode()
				}
				return 1
			}
			return 0
		}
		serverSkip = "unshare -n is not permitted here (needs root or user namespaces), so Orthanc cannot be kept on loopback"
		return m.Run()
	}
	stop, err := startOrthanc()
	if err != nil {
		serverSkip = "Orthanc did not start: " + err.Error()
		return m.Run()
	}
	defer stop()
	return m.Run()
}

func orthancMissing() string {
	if _, err := os.Stat(orthancBin); err != nil {
		return "no " + orthancBin + " (apt-get install orthanc orthanc-dicomweb)"
	}
	if _, err := os.Stat(dicomwebPlug); err != nil {
		return "no " + dicomwebPlug + " (apt-get install orthanc-dicomweb)"
	}
	if _, err := exec.LookPath("unshare"); err != nil {
		return "no unshare (util-linux)"
	}
	if _, err := exec.LookPath("ip"); err != nil {
		return "no ip (iproute2), needed to bring up loopback in the test's network namespace"
	}
	return ""
}

// startOrthanc starts Orthanc in a temporary folder and waits until it
// answers; stop ends it by its pid and removes the folder.
func startOrthanc() (stop func(), err error) {
	dir, err := os.MkdirTemp("", "delineate-orthanc-")
	if err != nil {
		return nil, err
	}
	db := filepath.Join(dir, "db")
	cfg := fmt.Sprintf(`{
  "Name": "DelineateTest",
  "StorageDirectory": %q,
  "IndexDirectory": %q,
  "HttpPort": %d,
  "DicomPort": 14242,
  "DicomServerEnabled": false,
  "RemoteAccessAllowed": false,
  "AuthenticationEnabled": true,
  "RegisteredUsers": { %q: %q },
  "Plugins": [ %q ],
  "DicomWeb": { "Enable": true, "Root": "/dicom-web/", "EnableWado": true, "WadoRoot": "/wado", "Ssl": false }
}`, db, db, orthancPort, orthancUser, orthancPass, dicomwebPlug)
	cfgPath := filepath.Join(dir, "orthanc.json")
	if err := os.WriteFile(cfgPath, []byte(cfg), 0o600); err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	logf, err := os.Create(filepath.Join(dir, "orthanc.log"))
	if err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	cmd := exec.Command(orthancBin, cfgPath)
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	stop = func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-exited:
		case <-time.After(10 * time.Second):
			_ = cmd.Process.Kill()
			<-exited
		}
		logf.Close()
		os.RemoveAll(dir)
	}
	root := fmt.Sprintf("http://127.0.0.1:%d", orthancPort)
	deadline := time.Now().Add(15 * time.Second)
	for time.Now().Before(deadline) {
		select {
		case err := <-exited:
			b, _ := os.ReadFile(filepath.Join(dir, "orthanc.log"))
			os.RemoveAll(dir)
			return nil, fmt.Errorf("exited (%v): %s", err, tail(string(b), 600))
		default:
		}
		req, _ := http.NewRequest("GET", root+"/system", nil)
		req.SetBasicAuth(orthancUser, orthancPass)
		if resp, err := http.DefaultClient.Do(req); err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				orthancRoot = root
				return stop, nil
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	stop()
	return nil, fmt.Errorf("no answer on %s within 15 s", root)
}

func tail(s string, n int) string {
	if len(s) > n {
		return "…" + s[len(s)-n:]
	}
	return strings.TrimSpace(s)
}

// server skips t when there is no Orthanc, and returns a client with the
// right credentials.
func server(t testing.TB) *Client {
	t.Helper()
	if orthancRoot == "" {
		t.Skip("no Orthanc: " + serverSkip)
	}
	c, err := New(Config{URL: orthancRoot + "/dicom-web", Auth: Auth{Username: orthancUser, Password: orthancPass}})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// resetServer deletes everything Orthanc stores, so each test starts from
// an empty server.
func resetServer(t testing.TB) {
	t.Helper()
	ctx := context.Background()
	do := func(method, path string) *http.Response {
		req, _ := http.NewRequestWithContext(ctx, method, orthancRoot+path, nil)
		req.SetBasicAuth(orthancUser, orthancPass)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		return resp
	}
	resp := do("GET", "/patients")
	var ids []string
	if err := jsonDecode(resp, &ids); err != nil {
		t.Fatal(err)
	}
	for _, id := range ids {
		do("DELETE", "/patients/"+id).Body.Close()
	}
}

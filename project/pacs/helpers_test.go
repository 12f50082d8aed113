package pacs

import (
	"encoding/json"
	"io"
	"net/http"
)

func jsonDecode(resp *http.Response, v any) error {
	defer resp.Body.Close()
	return json.NewDecoder(resp.Body).Decode(v)
}

func must(t interface{ Fatal(...any) }, path string) string {
	req, _ := http.NewRequest("GET", orthancRoot+path, nil)
	req.SetBasicAuth(orthancUser, orthancPass)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if len(b) > 300000 {
		b = b[:300]
	}
	return resp.Status + " " + string(b)
}

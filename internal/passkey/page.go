package passkey

import (
	"bytes"
	"html/template"
)

// PageText is what the page says, in the person's language.
type PageText struct {
	Lang     string // "en", "ko"
	Title    string // the tab's title and the heading
	Ask      string // what to do: use the passkey or security key
	Continue string // the button, where the browser wants a click first
	Cancel   string
	Done     string // the answer was taken: go back to the terminal
	Failed   string // the answer was refused: see the terminal
}

// EnglishPage is the page's text where the caller gives none.
var EnglishPage = PageText{
	Lang:     "en",
	Title:    "kcloud passkey",
	Ask:      "Use your passkey or security key when the browser asks.",
	Continue: "Continue",
	Cancel:   "Cancel",
	Done:     "Done. You can close this tab and go back to the terminal.",
	Failed:   "kcloud refused the answer: the terminal says why. You can close this tab.",
}

// The page: its one script turns the options' base64url fields into
// bytes, calls navigator.credentials.create or get, and posts the
// answer (or the error's name) back to its own path. It starts at once;
// a browser that wants a click first (NotAllowedError before any) gets
// the Continue button.
var pageTemplate = template.Must(template.New("page").Parse(`<!doctype html>
<html lang="{{.Text.Lang}}"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{.Text.Title}}</title>
<style nonce="{{.Nonce}}">body{font:16px system-ui,sans-serif;max-width:36em;margin:4em auto;padding:0 1em}button{font:inherit;margin-right:1em}[hidden]{display:none}</style>
</head><body>
<h1>{{.Text.Title}}</h1>
<p id="say">{{.Text.Ask}}</p>
<p id="buttons" hidden><button id="go">{{.Text.Continue}}</button><button id="cancel">{{.Text.Cancel}}</button></p>
<script type="application/json" id="options">{{.Options}}</script>
<script type="application/json" id="text">{{.TextJSON}}</script>
<script nonce="{{.Nonce}}">
"use strict";
const kind = {{.Kind}};
const text = JSON.parse(document.getElementById("text").textContent);
const bytes = s => Uint8Array.from(atob(s.replace(/-/g, "+").replace(/_/g, "/")), c => c.charCodeAt(0)).buffer;
const b64 = b => btoa(String.fromCharCode(...new Uint8Array(b))).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
let sent = false;
async function send(body) {
  if (sent) return;
  sent = true;
  document.getElementById("buttons").hidden = true;
  let ok = false;
  try {
    const r = await fetch(location.pathname, {method: "POST", headers: {"Content-Type": "application/json"}, body: JSON.stringify(body), credentials: "same-origin"});
    ok = r.ok;
  } catch (e) {}
  document.getElementById("say").textContent = ok ? text.done : text.failed;
}
async function ceremony(clicked) {
  const pk = JSON.parse(document.getElementById("options").textContent).publicKey;
  pk.challenge = bytes(pk.challenge);
  let cred;
  try {
    if (kind === "create") {
      pk.user.id = bytes(pk.user.id);
      (pk.excludeCredentials || []).forEach(c => c.id = bytes(c.id));
      cred = await navigator.credentials.create({publicKey: pk});
    } else {
      (pk.allowCredentials || []).forEach(c => c.id = bytes(c.id));
      cred = await navigator.credentials.get({publicKey: pk});
    }
  } catch (e) {
    if (!clicked && e.name === "NotAllowedError" && !navigator.userActivation?.hasBeenActive) {
      document.getElementById("buttons").hidden = false;
      return;
    }
    return send({error: e.name || "Error"});
  }
  const r = cred.response;
  const out = {id: cred.id, rawId: b64(cred.rawId), type: cred.type,
    authenticatorAttachment: cred.authenticatorAttachment || undefined,
    clientExtensionResults: cred.getClientExtensionResults ? cred.getClientExtensionResults() : {},
    response: {clientDataJSON: b64(r.clientDataJSON)}};
  if (kind === "create") {
    out.response.attestationObject = b64(r.attestationObject);
    if (r.getTransports) out.response.transports = r.getTransports();
  } else {
    out.response.authenticatorData = b64(r.authenticatorData);
    out.response.signature = b64(r.signature);
    if (r.userHandle) out.response.userHandle = b64(r.userHandle);
  }
  send({credential: out});
}
document.getElementById("go").addEventListener("click", () => ceremony(true));
document.getElementById("cancel").addEventListener("click", () => send({error: "NotAllowedError"}));
ceremony(false);
</script>
</body></html>
`))

func page(kind string, options []byte, nonce string, t PageText) ([]byte, error) {
	if t.Title == "" {
		t = EnglishPage
	}
	tj, err := jsonOf(map[string]string{"done": t.Done, "failed": t.Failed})
	if err != nil {
		return nil, err
	}
	var b bytes.Buffer
	err = pageTemplate.Execute(&b, struct {
		Text              PageText
		Nonce, Kind       string
		Options, TextJSON template.JS
	}{t, nonce, kind, template.JS(options), template.JS(tj)})
	return b.Bytes(), err
}

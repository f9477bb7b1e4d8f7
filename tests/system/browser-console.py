#!/usr/bin/python3
"""browser-console.py URL PNG: loads URL (a noVNC page) in headless Chromium through chromedriver
(WebDriver over HTTP, started here on a free port), waits until noVNC has connected and drawn the
remote screen, saves a screenshot to PNG and prints the page title and what the console canvas holds
as "title=... canvas=WxH colours=N". Exits non-zero when the page never connects."""

import base64
import json
import socket
import subprocess
import sys
import time
import urllib.request

CANVAS_SCRIPT = """
const canvas = document.querySelector('#noVNC_container canvas');
if (!canvas || canvas.width < 2 || canvas.height < 2) return null;
const pixels = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
const colours = new Set();
for (let i = 0; i < pixels.length && colours.size < 64; i += 4)
    colours.add((pixels[i] << 16) | (pixels[i + 1] << 8) | pixels[i + 2]);
return [canvas.width, canvas.height, colours.size];
"""


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def call(base, method, path, body=None):
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(base + path, data=data, method=method,
                                 headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=60) as resp:
        return json.load(resp)["value"]


def main():
    if len(sys.argv) != 3:
        sys.exit("usage: browser-console.py URL PNG")
    url, png = sys.argv[1:]
    port = free_port()
    driver = subprocess.Popen(["chromedriver", "--port=%d" % port], stdout=subprocess.DEVNULL)
    base = "http://127.0.0.1:%d" % port
    try:
        for _ in range(100):
            try:
                call(base, "GET", "/status")
                break
            except OSError:
                time.sleep(0.1)
        options = {"binary": "/usr/bin/chromium",
                   "args": ["--headless=new", "--no-sandbox", "--disable-gpu", "--window-size=1024,768"]}
        session = call(base, "POST", "/session",
                       {"capabilities": {"alwaysMatch": {"goog:chromeOptions": options}}})["sessionId"]
        s = "/session/" + session
        try:
            call(base, "POST", s + "/url", {"url": url})
            title, canvas = "", None
            deadline = time.time() + 60
            # Connected once noVNC sets the title to the desktop name; drawn once the canvas has more
            # than one colour (a blank or error page has none or one).
            while time.time() < deadline:
                title = call(base, "GET", s + "/title")
                canvas = call(base, "POST", s + "/execute/sync", {"script": CANVAS_SCRIPT, "args": []})
                if title != "noVNC" and canvas and canvas[2] > 1:
                    break
                time.sleep(0.5)
            with open(png, "wb") as f:
                f.write(base64.b64decode(call(base, "GET", s + "/screenshot")))
            if canvas:
                print("title=%s canvas=%dx%d colours=%d" % (title, canvas[0], canvas[1], canvas[2]))
            else:
                print("title=%s canvas=none" % title)
        finally:
            call(base, "DELETE", s)
    finally:
        driver.terminate()
        driver.wait()


if __name__ == "__main__":
    main()

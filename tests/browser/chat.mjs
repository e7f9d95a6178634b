// The chat page in a real browser: Debian's chromium, driven by
// playwright-core over the DevTools protocol. Run by tests/ch09_browser.rs:
//
//   node tests/browser/chat.mjs http://127.0.0.1:PORT target/chat.png
//
// Two people (two browser contexts: separate cookies and storage, like two
// browsers) open /chat.html and join; one sends a message with characters
// that must survive JSON and HTML (quotes, tags, emoji, a newline); the test
// asserts the other page shows exactly that text, from that sender. Then a
// screenshot of the page is saved for the README. Last, the server restarts
// (the Rust side does it when this script prints RESTART-NOW, and writes
// "restarted" to our stdin): both pages must reconnect on their own and
// carry on.
//
// Exit status 0 on success; on failure the error is printed, a screenshot of
// each page is saved next to the requested one (…-failure-N.png), and the
// status is 1.

import { chromium } from "playwright-core";

const [base, shot] = process.argv.slice(2);
if (!base || !shot) {
  console.error("usage: node chat.mjs BASE_URL SCREENSHOT.png");
  process.exit(2);
}
const executablePath = process.env.CHROMIUM || "/usr/bin/chromium";
// Each wait is bounded; the Rust test bounds the whole run as well.
const WAIT_MS = 10_000;

const token = Math.random().toString(36).slice(2, 10);
const message = `<b>"hello"</b> & é 😀 ${token}\nsecond line`;

const browser = await chromium.launch({
  executablePath,
  headless: true,
  // Playwright gives the browser a fresh temporary profile (user data dir)
  // and removes it on close; these flags keep Chromium from phoning home or
  // updating itself during a test.
  args: [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-quic",
  ],
  timeout: WAIT_MS * 2,
});

/** Lines from stdin, one `await next()` at a time. */
function readLines() {
  const queue = [], waiting = [];
  let buf = "";
  process.stdin.setEncoding("utf8");
  process.stdin.on("data", (d) => {
    buf += d;
    let i;
    while ((i = buf.indexOf("\n")) >= 0) {
      const line = buf.slice(0, i).trim();
      buf = buf.slice(i + 1);
      if (waiting.length) waiting.shift()({ value: line, done: false });
      else queue.push(line);
    }
  });
  process.stdin.on("end", () => { while (waiting.length) waiting.shift()({ value: undefined, done: true }); });
  return {
    next: () => queue.length
      ? Promise.resolve({ value: queue.shift(), done: false })
      : new Promise((resolve) => waiting.push(resolve)),
  };
}

const pages = [];
async function person(nick) {
  const context = await browser.newContext({ viewport: { width: 960, height: 600 } });
  const page = await context.newPage();
  page.setDefaultTimeout(WAIT_MS);
  page.on("pageerror", (e) => console.error(`[${nick}] page error: ${e.message}`));
  page.on("console", (m) => {
    if (m.type() === "error") console.error(`[${nick}] console: ${m.text()}`);
  });
  pages.push(page);
  await page.goto(`${base}/chat.html`);
  await page.fill("#nick", nick);
  await page.click("#join-button");
  await page.waitForSelector('#state[data-state="open"]');
  return page;
}

try {
  const alice = await person("alice");
  const bob = await person("bob");
  const me = (p) => p.textContent("#me");
  if ((await me(alice)) !== "you are alice" || (await me(bob)) !== "you are bob") {
    throw new Error(`unexpected nicknames: ${await me(alice)} / ${await me(bob)}`);
  }

  // Alice sees Bob arrive, in the member list and in the log.
  await alice.waitForFunction(() =>
    [...document.querySelectorAll("#members li")].some((li) => li.textContent === "bob"));
  await alice.waitForFunction(() =>
    [...document.querySelectorAll("#log .event")].some((li) => li.textContent === "bob joined"));

  // Bob types and presses Enter (Shift+Enter for the line break).
  const [first, second] = message.split("\n");
  await bob.click("#text");
  await bob.keyboard.type(first);
  await bob.keyboard.press("Shift+Enter");
  await bob.keyboard.type(second);
  await bob.keyboard.press("Enter");

  // Alice's page shows exactly that text, from bob, rendered as text.
  const shown = await alice.waitForFunction((t) => {
    const msgs = [...document.querySelectorAll("#log .msg")];
    const m = msgs.find((li) => li.querySelector(".text").textContent.includes(t));
    return m && { who: m.querySelector(".who").textContent, text: m.querySelector(".text").textContent,
                  bold: m.querySelectorAll("b").length };
  }, token);
  const got = await shown.jsonValue();
  if (got.who !== "bob" || got.text !== message || got.bold !== 0) {
    throw new Error(`alice shows ${JSON.stringify(got)}, expected bob: ${JSON.stringify(message)}`);
  }
  // Bob's own copy is marked as his.
  await bob.waitForFunction((t) =>
    [...document.querySelectorAll("#log .msg.mine .text")].some((e) => e.textContent.includes(t)), token);

  // A reply, so the screenshot shows a conversation.
  await alice.fill("#text", "Hi bob! This page is served by wirebook: std::net, httparse and hand-made WebSocket frames.");
  await alice.press("#text", "Enter");
  await bob.waitForFunction(() =>
    [...document.querySelectorAll("#log .msg .text")].some((e) => e.textContent.startsWith("Hi bob!")));
  await alice.waitForFunction(() => document.querySelectorAll("#log .msg").length >= 2);
  await alice.screenshot({ path: shot });
  console.log(`message delivered; screenshot in ${shot}`);

  // The server restarts: both pages see the 1001 close, go offline, and
  // reconnect by themselves (with backoff) once the server is back. The
  // Rust test restarts the server when it reads RESTART-NOW, and answers
  // on our stdin when the new one listens.
  console.log("RESTART-NOW");
  const lines = readLines();
  // The log keeps the evidence, so no short-lived state can be missed.
  const events = (p) => p.evaluate(() =>
    [...document.querySelectorAll("#log .event")].map((e) => e.textContent));
  for (const p of [alice, bob]) {
    await p.waitForFunction(() => [...document.querySelectorAll("#log .event")]
      .some((e) => e.textContent === "disconnected: the server is going away"));
  }
  const answer = await lines.next();
  if (answer.value !== "restarted") throw new Error(`expected "restarted" on stdin, got ${answer.value}`);
  for (const [p, nick] of [[alice, "alice"], [bob, "bob"]]) {
    await p.waitForFunction((n) => [...document.querySelectorAll("#log .event")]
      .filter((e) => e.textContent === `you joined as ${n}`).length === 2, nick, { timeout: WAIT_MS * 2 });
    await p.waitForSelector('#state[data-state="open"]');
  }
  // Each page is back under its own name, and sees the other.
  await alice.waitForFunction(() =>
    [...document.querySelectorAll("#members li")].some((li) => li.textContent === "bob"));
  if (!(await events(alice)).includes("disconnected: the server is going away")) {
    throw new Error("alice's page does not say why it was disconnected");
  }
  await bob.fill("#text", `back again ${token}`);
  await bob.press("#text", "Enter");
  await alice.waitForFunction((t) =>
    [...document.querySelectorAll("#log .msg .text")].some((e) => e.textContent === `back again ${t}`), token);
  console.log("browser chat test passed: alice saw bob's messages, before and after a server restart");
  await browser.close();
  process.exit(0);
} catch (e) {
  console.error(`browser chat test FAILED: ${e.stack || e}`);
  for (const [i, p] of pages.entries()) {
    const path = shot.replace(/\.png$/, `-failure-${i + 1}.png`);
    await p.screenshot({ path }).then(() => console.error(`page ${i + 1} screenshot: ${path}`), () => {});
  }
  await browser.close().catch(() => {});
  process.exit(1);
}

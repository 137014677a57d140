// A Bun WebSocket echo: every text or binary message goes back as it came.
// The reference for socketlab's /ws/echo (uWebSockets underneath).
// Usage: bun echo.js [PORT]; prints `listening 127.0.0.1:PORT`.
const server = Bun.serve({
  hostname: "127.0.0.1",
  port: Number(process.argv[2] ?? 0),
  fetch(req, server) {
    return server.upgrade(req) ? undefined : new Response("WebSocket only\n", { status: 426 });
  },
  websocket: {
    maxPayloadLength: 16 * 1024 * 1024, // socketlab's --echo-max-message
    message(ws, message) {
      ws.send(message);
    },
  },
});
console.log(`listening ${server.hostname}:${server.port}`);

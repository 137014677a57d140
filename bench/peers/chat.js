// A Bun chat room speaking socketlab's /ws/chat wire format (welcome,
// message with seq, presence, ping/pong, say), so that the bench's clients
// measure both servers alike. One pub/sub topic per room: server.publish
// serialises and frames a message once for every member (uWebSockets).
// Joins and leaves are coalesced into one presence frame per room per
// 100 ms tick; above 500 members it carries only the count.
// Usage: bun chat.js [PORT]; prints `listening 127.0.0.1:PORT`.
const HISTORY = 50, PAGE = 100, NAMES_UP_TO = 500, TICK_MS = 100;
const rooms = new Map();
const roomOf = (name) => {
  if (!rooms.has(name)) rooms.set(name, { members: new Set(), history: [], seq: 0, joined: [], left: [] });
  return rooms.get(name);
};
const server = Bun.serve({
  hostname: "127.0.0.1",
  port: Number(process.argv[2] ?? 0),
  fetch(req, server) {
    const query = new URL(req.url).searchParams;
    const data = { room: query.get("room") || "lobby", name: query.get("name") || "guest" };
    return server.upgrade(req, { data }) ? undefined : new Response("WebSocket only\n", { status: 426 });
  },
  websocket: {
    open(ws) {
      const room = roomOf(ws.data.room);
      room.members.add(ws.data.name);
      room.joined.push(ws.data.name);
      ws.subscribe(ws.data.room);
      const members = [...room.members].slice(0, PAGE); // the first page, not all N
      ws.send(JSON.stringify({ type: "welcome", you: ws.data.name, room: ws.data.room, members, count: room.members.size, history: room.history }));
    },
    message(ws, frame) {
      let m;
      try { m = JSON.parse(frame); } catch { m = null; }
      if (m?.type === "ping") return ws.send(JSON.stringify({ type: "pong", id: m.id }));
      if (m?.type !== "say" || typeof m.text !== "string") {
        return ws.send(JSON.stringify({ type: "error", code: "bad_json", message: "expected say or ping" }));
      }
      const room = roomOf(ws.data.room);
      const message = { room: ws.data.room, from: ws.data.name, text: m.text, seq: ++room.seq, ts_ms: Date.now() };
      room.history.push(message);
      if (room.history.length > HISTORY) room.history.shift();
      server.publish(ws.data.room, JSON.stringify({ type: "message", ...message }));
    },
    close(ws) {
      const room = roomOf(ws.data.room);
      room.members.delete(ws.data.name);
      room.left.push(ws.data.name);
    },
  },
});
setInterval(() => {
  for (const [name, room] of rooms) {
    if (room.joined.length + room.left.length === 0) continue;
    const names = room.members.size <= NAMES_UP_TO;
    server.publish(name, JSON.stringify({ type: "presence", joined: names ? room.joined : [], left: names ? room.left : [], count: room.members.size }));
    room.joined = [];
    room.left = [];
    if (room.members.size === 0) rooms.delete(name);
  }
}, TICK_MS);
console.log(`listening ${server.hostname}:${server.port}`);

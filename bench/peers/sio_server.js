// The socket.io peer: socket.io with @socket.io/postgres-adapter; POST /publish emits each message.
"use strict";
const http = require("http");
const { Server } = require("socket.io");
const { createAdapter } = require("@socket.io/postgres-adapter");
const { Pool } = require("pg");

const port = Number(process.argv[2]);
const pool = new Pool({ connectionString: process.argv[3], max: 4 });

pool
  .query(
    `CREATE TABLE IF NOT EXISTS socket_io_attachments (
       id bigserial UNIQUE, created_at timestamptz DEFAULT NOW(), payload bytea)`
  )
  .catch(() => {})
  .finally(() => {
    const server = http.createServer((req, res) => {
      if (req.method === "POST" && req.url === "/publish") {
        const chunks = [];
        req.on("data", (c) => chunks.push(c));
        req.on("end", () => {
          for (const m of JSON.parse(Buffer.concat(chunks).toString())) io.emit("m", m);
          res.end("ok");
        });
        return;
      }
      res.statusCode = 404;
      res.end();
    });
    const io = new Server(server, {
      transports: ["websocket"],
      perMessageDeflate: false,
      adapter: createAdapter(pool),
    });
    server.listen(port, "127.0.0.1");
  });

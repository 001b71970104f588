/**
 * `vectlite ui <db>`: the local web inspector. Opens the database read-only (no lock: a writer
 * keeps working beside it), serves the inspector on 127.0.0.1 and prints its URL, until SIGINT
 * or SIGTERM.
 *
 * @module
 */
import process from "node:process";
import * as vectlite from "../../mod.ts";
import { httpEmbedder } from "../../src/inspector/embed.ts";
import { LOOPBACK, startInspector } from "../../src/inspector/server.ts";
import { type Parsed, positionals, UsageError } from "../args.ts";
import { eprintln, println } from "../output.ts";

export const flags = { port: "string", host: "string", "embed-url": "string" } as const;

export async function run(parsed: Parsed): Promise<number> {
  const [dbPath] = positionals("ui", parsed, ["db"]);
  const port = portFlag(parsed.flags.port as string | undefined);
  const host = parsed.flags.host as string | undefined;
  // Nothing but the loopback interface: the inspector has no authentication, and a database's
  // contents must not reach the network.
  if (host !== undefined && host !== LOOPBACK && host !== "localhost") {
    throw new UsageError(`the inspector listens on ${LOOPBACK} only; --host ${JSON.stringify(host)} is refused`, "ui");
  }
  const embedUrl = parsed.flags["embed-url"] as string | undefined;
  if (embedUrl !== undefined && !URL.canParse(embedUrl)) throw new UsageError(`--embed-url is not a URL: ${JSON.stringify(embedUrl)}`, "ui");
  const db = await vectlite.open(dbPath, { readOnly: true });
  try {
    let embed;
    try {
      embed = embedUrl === undefined ? undefined : httpEmbedder(embedUrl, db.dimension);
    } catch (e) {
      throw new UsageError((e as Error).message, "ui");
    }
    const inspector = await startInspector(db, {
      port,
      embed,
      onError: (e) => eprintln(`vectlite ui: ${e instanceof Error ? e.stack ?? e.message : String(e)}`),
    });
    println(`vectlite ui: ${inspector.url} (${dbPath}, read-only${embed ? ", hybrid text search" : ""}; Ctrl-C stops)`);
    await stopSignal();
    await inspector.close();
  } finally {
    await db.close();
  }
  eprintln("vectlite ui: stopped");
  return 0;
}

/** --port: 0 (the default, a free port) to 65535. */
function portFlag(value: string | undefined): number {
  if (value === undefined) return 0;
  const n = Number(value);
  if (!/^\d+$/.test(value) || n > 65535) throw new UsageError(`--port must be an integer from 0 to 65535, found ${JSON.stringify(value)}`, "ui");
  return n;
}

/** Resolves on the first SIGINT or SIGTERM, then stops listening for them. */
function stopSignal(): Promise<void> {
  return new Promise((resolve) => {
    const stop = () => {
      process.off("SIGINT", stop);
      process.off("SIGTERM", stop);
      resolve();
    };
    process.on("SIGINT", stop);
    process.on("SIGTERM", stop);
  });
}

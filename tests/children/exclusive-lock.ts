/**
 * Child process for the import lock test (runs under Deno, whose files can take an flock):
 * holds an exclusive lock on the given file, as the Python package's writer does on
 * `<name>.vdb.lock`, until killed.
 */
const [path] = Deno.args;
const file = Deno.openSync(path, { read: true, write: true, create: true });
file.lockSync(true);
console.log("locked");
setInterval(() => file, 1000);

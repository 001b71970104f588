/**
 * The SQL functions the filter translation (filter-sql.ts) calls, created by the export (or
 * run once on a database by hand): `vectlite_path(doc jsonb, path text)` resolves a field path
 * exactly as the database does (lib-rs/src/filter/path.rs): at an object, the whole remaining
 * path as one key first, then each prefix naming an object or an array, left to right,
 * backtracking when the rest is not found; at an array, a canonical decimal index. A missing
 * value is SQL NULL (a JSON null is the jsonb `null`).
 *
 * @module
 */

/** `CREATE OR REPLACE FUNCTION` statements, safe to run again, one per element (a prepared statement holds one). */
export const VECTLITE_SQL_FUNCTIONS: readonly string[] = [`
CREATE OR REPLACE FUNCTION vectlite_path_from(v jsonb, parts text[], first int) RETURNS jsonb
LANGUAGE plpgsql IMMUTABLE STRICT AS $vectlite$
DECLARE
  last int := array_length(parts, 1);
  child jsonb;
  found jsonb;
BEGIN
  IF jsonb_typeof(v) = 'object' THEN
    IF v ? array_to_string(parts[first:last], '.') THEN
      RETURN v -> array_to_string(parts[first:last], '.');
    END IF;
    FOR split IN first .. last - 1 LOOP
      child := v -> array_to_string(parts[first:split], '.');
      IF jsonb_typeof(child) IN ('object', 'array') THEN
        found := vectlite_path_from(child, parts, split + 1);
        IF found IS NOT NULL THEN
          RETURN found;
        END IF;
      END IF;
    END LOOP;
    RETURN NULL;
  ELSIF jsonb_typeof(v) = 'array' THEN
    IF parts[first] !~ '^(0|[1-9][0-9]{0,8})$' THEN
      RETURN NULL;
    END IF;
    child := v -> parts[first]::int;
    IF child IS NULL OR first = last THEN
      RETURN child;
    END IF;
    RETURN vectlite_path_from(child, parts, first + 1);
  END IF;
  RETURN NULL;
END
$vectlite$`, `
CREATE OR REPLACE FUNCTION vectlite_path(doc jsonb, path text) RETURNS jsonb
LANGUAGE sql IMMUTABLE STRICT AS $vectlite$
  SELECT vectlite_path_from(doc, string_to_array(path, '.'), 1)
$vectlite$`];

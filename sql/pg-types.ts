import pg from 'pg';

// Imported for this side effect by every module that reads from Postgres.
// bigint (int8) columns — ids, token versions — fit in a JS number for anything this tool
// makes; parse them as numbers everywhere, so no module sees "42" where another sees 42.
pg.types.setTypeParser(pg.types.builtins.INT8, (v) => Number(v));

export { pg };

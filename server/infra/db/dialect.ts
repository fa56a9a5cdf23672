/** The two SQL dialects the repositories speak (its own module, so migrations need not import the opener). */
export type SqlDialect = 'sqlite' | 'postgres';

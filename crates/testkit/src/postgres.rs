//! A throwaway Postgres cluster. (Filled in by the Postgres harness work.)

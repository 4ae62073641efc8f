//! A throwaway redis-server. (Filled in by the Redis harness work.)

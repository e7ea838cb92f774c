// Package backend holds the types the API routers and the engine exchange;
// no behaviour. The routers keep the small interfaces they consume; the
// daemon implements them with these types and so never imports the HTTP
// layer (moby's api/types/backend).
package backend

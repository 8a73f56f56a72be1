import { cookieOf, isDashboardRequest, sessionAuthorization, sessionCookie, SESSION_COOKIE } from './session';

const ORIGIN = 'http://127.0.0.1:3000';
const own = { host: '127.0.0.1:3000', 'x-baton-dashboard': '1', cookie: `other=1; ${SESSION_COOKIE}=a.b.c` };

describe('dashboard session', () => {
  it('reads one cookie of a Cookie header, decoded', () => {
    expect(cookieOf('a=1; baton_session=x%2Ey; b=2', SESSION_COOKIE)).toBe('x.y');
    expect(cookieOf('a=1', SESSION_COOKIE)).toBeUndefined();
    expect(cookieOf(undefined, SESSION_COOKIE)).toBeUndefined();
    expect(cookieOf('baton_session=%E0%A4%A', SESSION_COOKIE)).toBeUndefined();
  });

  it('sets the session HttpOnly and SameSite=Strict (Secure over HTTPS), and ends it with Max-Age=0', () => {
    expect(sessionCookie('a.b.c', { secure: false, maxAgeS: 60 })).toBe('baton_session=a.b.c; Max-Age=60; Path=/; HttpOnly; SameSite=Strict');
    expect(sessionCookie('a.b.c', { secure: true, maxAgeS: 60 })).toMatch(/; Secure$/);
    expect(sessionCookie(null, { secure: false, maxAgeS: 0 })).toBe('baton_session=; Max-Age=0; Path=/; HttpOnly; SameSite=Strict');
  });

  it('takes a request as the dashboard’s own only with its header and from its own origin', () => {
    expect(isDashboardRequest({ 'x-baton-dashboard': '1' }, ORIGIN)).toBe(true);
    expect(isDashboardRequest({ 'x-baton-dashboard': '1', origin: ORIGIN, 'sec-fetch-site': 'same-origin' }, ORIGIN)).toBe(true);
    expect(isDashboardRequest({}, ORIGIN)).toBe(false);
    expect(isDashboardRequest({ 'x-baton-dashboard': '1', origin: 'http://evil.example' }, ORIGIN)).toBe(false);
    expect(isDashboardRequest({ 'x-baton-dashboard': '1', 'sec-fetch-site': 'same-site' }, ORIGIN)).toBe(false);
  });

  it('turns the cookie into a bearer credential only for such a request without credentials of its own', () => {
    expect(sessionAuthorization(own, false)).toBe('Bearer a.b.c');
    expect(sessionAuthorization({ ...own, origin: ORIGIN }, false)).toBe('Bearer a.b.c');
    expect(sessionAuthorization({ ...own, origin: ORIGIN }, true)).toBeUndefined();
    expect(sessionAuthorization({ ...own, 'x-baton-dashboard': undefined }, false)).toBeUndefined();
    expect(sessionAuthorization({ ...own, authorization: 'Bearer mine' }, false)).toBeUndefined();
    expect(sessionAuthorization({ ...own, 'x-api-key': 'k' }, false)).toBeUndefined();
    expect(sessionAuthorization({ ...own, cookie: 'other=1' }, false)).toBeUndefined();
  });
});

package imds

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"os/exec"
	"runtime"
	"sync"
	"syscall"
	"unsafe"
)

// MetadataAddr is the address EC2's instance metadata service answers on, and the SDKs'
// default endpoint (http://169.254.169.254/).
const MetadataAddr = "169.254.169.254:80"

// StartInNamespace starts cmd in a new network namespace whose loopback carries
// 169.254.169.254, where port 80 is forwarded to the instance's endpoint (endpoint is
// HOST:PORT outside the namespace), and where each address in also (HOST:PORT on
// 127.0.0.0/8, e.g. the API endpoint) is forwarded to the same address outside. So an SDK
// with no configuration at all finds the instance's credentials, as on EC2. It needs root
// (CAP_SYS_ADMIN and CAP_NET_ADMIN) on Linux.
//
// The namespace has no name and no other way out: it ends when cmd (and whatever cmd
// started) has exited and stop has closed the forwarders' sockets, which hold it.
func StartInNamespace(cmd *exec.Cmd, endpoint string, also []string) (stop func(), err error) {
	type result struct {
		lns  []net.Listener
		dsts []string
		err  error
	}
	ch := make(chan result, 1)
	go func() {
		// The thread enters the new namespace and is never unlocked: when this goroutine
		// returns, the runtime ends the thread instead of reusing it in the wrong
		// namespace. Threads the runtime starts meanwhile come from its template thread,
		// not this one.
		runtime.LockOSThread()
		var r result
		defer func() { ch <- r }()
		fail := func(err error) {
			for _, ln := range r.lns {
				ln.Close()
			}
			r.lns, r.err = nil, err
		}
		if err := syscall.Unshare(syscall.CLONE_NEWNET); err != nil {
			fail(fmt.Errorf("a new network namespace needs root on Linux: %w", err))
			return
		}
		if err := ifUp("lo", nil); err != nil {
			fail(fmt.Errorf("bringing up lo: %w", err))
			return
		}
		if err := ifUp("lo:imds", []byte{169, 254, 169, 254}); err != nil {
			fail(fmt.Errorf("adding 169.254.169.254: %w", err))
			return
		}
		for i, addr := range append([]string{MetadataAddr}, also...) {
			ln, err := net.Listen("tcp4", addr) // the socket belongs to this thread's namespace
			if err != nil {
				fail(err)
				return
			}
			r.lns = append(r.lns, ln)
			if i == 0 {
				r.dsts = append(r.dsts, endpoint)
			} else {
				r.dsts = append(r.dsts, addr)
			}
		}
		// The child is cloned from this thread and so starts in its namespace.
		if err := cmd.Start(); err != nil {
			fail(err)
		}
	}()
	r := <-ch
	if r.err != nil {
		return nil, r.err
	}
	var wg sync.WaitGroup
	for i, ln := range r.lns {
		wg.Add(1)
		go func() {
			defer wg.Done()
			forward(ln, r.dsts[i])
		}()
	}
	return func() {
		for _, ln := range r.lns {
			ln.Close()
		}
		wg.Wait()
	}, nil
}

// forward copies each connection accepted inside the namespace to dst outside it, as TCP:
// nothing is added to the request (no X-Forwarded-For), as between an instance and its
// metadata service.
func forward(ln net.Listener, dst string) {
	var conns sync.WaitGroup
	defer conns.Wait()
	for {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		conns.Add(1)
		go func() {
			defer conns.Done()
			defer c.Close()
			d, err := net.Dial("tcp4", dst)
			if err != nil {
				return
			}
			defer d.Close()
			done := make(chan struct{})
			go func() {
				_, _ = io.Copy(d, c)
				if tc, ok := d.(*net.TCPConn); ok {
					_ = tc.CloseWrite()
				}
				close(done)
			}()
			_, _ = io.Copy(c, d)
			if tc, ok := c.(*net.TCPConn); ok {
				_ = tc.CloseWrite()
			}
			<-done
		}()
	}
}

// ifreq is struct ifreq of <net/if.h>: a name and a 24-byte union.
type ifreq struct {
	name [syscall.IFNAMSIZ]byte
	data [24]byte
}

func ioctl(fd int, req uintptr, ifr *ifreq) error {
	if _, _, e := syscall.Syscall(syscall.SYS_IOCTL, uintptr(fd), req, uintptr(unsafe.Pointer(ifr))); e != 0 {
		return e
	}
	return nil
}

// ifUp sets an interface up, first giving it addr/32 when addr is set (an alias label
// such as lo:imds adds the address to lo).
func ifUp(name string, addr []byte) error {
	fd, err := syscall.Socket(syscall.AF_INET, syscall.SOCK_DGRAM, 0)
	if err != nil {
		return err
	}
	defer syscall.Close(fd)
	var ifr ifreq
	if len(name) >= len(ifr.name) {
		return errors.New("interface name too long")
	}
	copy(ifr.name[:], name)
	if addr != nil {
		// struct sockaddr_in: family (host order), port, address (network order).
		sa := func(ip []byte) {
			ifr.data = [24]byte{}
			binary.NativeEndian.PutUint16(ifr.data[0:2], syscall.AF_INET)
			copy(ifr.data[4:8], ip)
		}
		sa(addr)
		if err := ioctl(fd, syscall.SIOCSIFADDR, &ifr); err != nil {
			return err
		}
		sa([]byte{255, 255, 255, 255})
		if err := ioctl(fd, syscall.SIOCSIFNETMASK, &ifr); err != nil {
			return err
		}
	}
	ifr.data = [24]byte{}
	if err := ioctl(fd, syscall.SIOCGIFFLAGS, &ifr); err != nil {
		return err
	}
	flags := binary.NativeEndian.Uint16(ifr.data[0:2]) | syscall.IFF_UP | syscall.IFF_RUNNING
	binary.NativeEndian.PutUint16(ifr.data[0:2], flags)
	return ioctl(fd, syscall.SIOCSIFFLAGS, &ifr)
}

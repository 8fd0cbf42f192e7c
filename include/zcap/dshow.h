/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * DirectShow's IMemInputPin, IMemAllocator and IMediaSample as plain C
 * COM-style interfaces over libzcap's pins, allocators and samples, with
 * DirectShow's HRESULT values.
 *
 * Each interface is a struct whose first member points to a const table of
 * functions (lpVtbl); every function takes the interface first. Objects
 * are reference counted: AddRef and Release return the new count, and the
 * last Release frees the object and drops the reference it holds on the
 * libzcap object under it. An interface pointer a function hands out
 * (GetAllocator, GetBuffer) carries a reference the caller releases.
 *
 * There is no QueryInterface: each object has exactly one interface.
 *
 * Pins are not reference counted in libzcap (their filter owns them), so
 * an IMemInputPin must be released before its pin's filter is destroyed.
 * Allocators and samples are: an IMemAllocator or IMediaSample keeps its
 * allocator or sample alive for as long as it lives.
 *
 * Documentation/dshow.md says what maps to what.
 */
#ifndef ZCAP_DSHOW_H
#define ZCAP_DSHOW_H

#include <stdint.h>

#include <zcap/allocator.h>
#include <zcap/pin.h>
#include <zcap/sample.h>

#ifdef __cplusplus
extern "C" {
#endif

/*
 * The Windows types DirectShow's signatures use, with their Windows sizes
 * (LONG is 32 bits there). A program that has them from a Windows header
 * already defines ZCAP_DSHOW_HAVE_WIN32_TYPES before including this one.
 */
#ifndef ZCAP_DSHOW_HAVE_WIN32_TYPES
#define ZCAP_DSHOW_HAVE_WIN32_TYPES
typedef int32_t HRESULT;
typedef int32_t LONG;
typedef uint32_t ULONG;
typedef uint32_t DWORD;
typedef int32_t BOOL;
typedef uint8_t BYTE;
typedef int64_t REFERENCE_TIME;	/* 100 ns units */
#endif
#ifndef TRUE
#define TRUE 1
#endif
#ifndef FALSE
#define FALSE 0
#endif

/* DirectShow's HRESULT values, each only if not defined already. */
#define ZCAP_HR(v) ((HRESULT)(v))
#ifndef S_OK
#define S_OK				ZCAP_HR(0x00000000)
#endif
#ifndef S_FALSE
#define S_FALSE				ZCAP_HR(0x00000001)
#endif
#ifndef E_NOTIMPL
#define E_NOTIMPL			ZCAP_HR(0x80004001)
#endif
#ifndef E_POINTER
#define E_POINTER			ZCAP_HR(0x80004003)
#endif
#ifndef E_FAIL
#define E_FAIL				ZCAP_HR(0x80004005)
#endif
#ifndef E_UNEXPECTED
#define E_UNEXPECTED			ZCAP_HR(0x8000FFFF)
#endif
#ifndef E_ACCESSDENIED
#define E_ACCESSDENIED			ZCAP_HR(0x80070005)
#endif
#ifndef E_OUTOFMEMORY
#define E_OUTOFMEMORY			ZCAP_HR(0x8007000E)
#endif
#ifndef E_INVALIDARG
#define E_INVALIDARG			ZCAP_HR(0x80070057)
#endif
#ifndef VFW_S_NO_STOP_TIME
#define VFW_S_NO_STOP_TIME		ZCAP_HR(0x00040270)
#endif
#ifndef VFW_E_ALREADY_CONNECTED
#define VFW_E_ALREADY_CONNECTED		ZCAP_HR(0x80040204)
#endif
#ifndef VFW_E_NOT_CONNECTED
#define VFW_E_NOT_CONNECTED		ZCAP_HR(0x80040209)
#endif
#ifndef VFW_E_NO_ALLOCATOR
#define VFW_E_NO_ALLOCATOR		ZCAP_HR(0x8004020A)
#endif
#ifndef VFW_E_BUFFER_OVERFLOW
#define VFW_E_BUFFER_OVERFLOW		ZCAP_HR(0x8004020D)
#endif
#ifndef VFW_E_BADALIGN
#define VFW_E_BADALIGN			ZCAP_HR(0x8004020E)
#endif
#ifndef VFW_E_ALREADY_COMMITTED
#define VFW_E_ALREADY_COMMITTED		ZCAP_HR(0x8004020F)
#endif
#ifndef VFW_E_BUFFERS_OUTSTANDING
#define VFW_E_BUFFERS_OUTSTANDING	ZCAP_HR(0x80040210)
#endif
#ifndef VFW_E_NOT_COMMITTED
#define VFW_E_NOT_COMMITTED		ZCAP_HR(0x80040211)
#endif
#ifndef VFW_E_SIZENOTSET
#define VFW_E_SIZENOTSET		ZCAP_HR(0x80040212)
#endif
#ifndef VFW_E_WRONG_STATE
#define VFW_E_WRONG_STATE		ZCAP_HR(0x80040227)
#endif
#ifndef VFW_E_TYPE_NOT_ACCEPTED
#define VFW_E_TYPE_NOT_ACCEPTED		ZCAP_HR(0x8004022A)
#endif
#ifndef VFW_E_SAMPLE_REJECTED_EOS
#define VFW_E_SAMPLE_REJECTED_EOS	ZCAP_HR(0x8004022C)
#endif
#ifndef VFW_E_TIMEOUT
#define VFW_E_TIMEOUT			ZCAP_HR(0x8004022E)
#endif
#ifndef VFW_E_SAMPLE_TIME_NOT_SET
#define VFW_E_SAMPLE_TIME_NOT_SET	ZCAP_HR(0x80040249)
#endif

#ifndef SUCCEEDED
#define SUCCEEDED(hr)	((HRESULT)(hr) >= 0)
#endif
#ifndef FAILED
#define FAILED(hr)	((HRESULT)(hr) < 0)
#endif

/* IMemAllocator::GetBuffer flags. Only AM_GBF_NOWAIT changes anything here. */
#ifndef AM_GBF_NOWAIT
#define AM_GBF_PREVFRAMESKIPPED	1u
#define AM_GBF_NOTASYNCPOINT	2u
#define AM_GBF_NOWAIT		4u
#endif

/*
 * DirectShow's ALLOCATOR_PROPERTIES. Maps to struct zcap_alloc_props with
 * one memory block: cBuffers = count, cbBuffer = size[0], cbAlign = align,
 * cbPrefix = prefix.
 */
typedef struct ALLOCATOR_PROPERTIES {
	LONG cBuffers;
	LONG cbBuffer;
	LONG cbAlign;
	LONG cbPrefix;
} ALLOCATOR_PROPERTIES;

typedef struct IMediaSample IMediaSample;
typedef struct IMemAllocator IMemAllocator;
typedef struct IMemInputPin IMemInputPin;

typedef struct IMediaSampleVtbl {
	ULONG (*AddRef)(IMediaSample *This);
	ULONG (*Release)(IMediaSample *This);
	/* Block 0's data; valid until this object's last Release. */
	HRESULT (*GetPointer)(IMediaSample *This, BYTE **ppBuffer);
	/* Block 0's usable bytes (after the prefix); 0 on a NULL This. */
	LONG (*GetSize)(IMediaSample *This);
	/* Start = capture time (CLOCK_MONOTONIC) in 100 ns; no stop time. */
	HRESULT (*GetTime)(IMediaSample *This, REFERENCE_TIME *pTimeStart,
			   REFERENCE_TIME *pTimeEnd);
	/* Only the start is kept; a NULL start (clear) is E_NOTIMPL. */
	HRESULT (*SetTime)(IMediaSample *This, REFERENCE_TIME *pTimeStart,
			   REFERENCE_TIME *pTimeEnd);
	HRESULT (*IsSyncPoint)(IMediaSample *This);
	HRESULT (*SetSyncPoint)(IMediaSample *This, BOOL bIsSyncPoint);
	HRESULT (*IsPreroll)(IMediaSample *This);
	HRESULT (*SetPreroll)(IMediaSample *This, BOOL bIsPreroll);
	LONG (*GetActualDataLength)(IMediaSample *This);
	HRESULT (*SetActualDataLength)(IMediaSample *This, LONG len);
	HRESULT (*IsDiscontinuity)(IMediaSample *This);
	HRESULT (*SetDiscontinuity)(IMediaSample *This, BOOL bDiscontinuity);
} IMediaSampleVtbl;

struct IMediaSample {
	const IMediaSampleVtbl *lpVtbl;
};

typedef struct IMemAllocatorVtbl {
	ULONG (*AddRef)(IMemAllocator *This);
	ULONG (*Release)(IMemAllocator *This);
	HRESULT (*SetProperties)(IMemAllocator *This,
				 const ALLOCATOR_PROPERTIES *pRequest,
				 ALLOCATOR_PROPERTIES *pActual);
	HRESULT (*GetProperties)(IMemAllocator *This, ALLOCATOR_PROPERTIES *pProps);
	HRESULT (*Commit)(IMemAllocator *This);
	HRESULT (*Decommit)(IMemAllocator *This);
	/* Blocks unless dwFlags has AM_GBF_NOWAIT; the times are ignored. */
	HRESULT (*GetBuffer)(IMemAllocator *This, IMediaSample **ppBuffer,
			     REFERENCE_TIME *pStartTime, REFERENCE_TIME *pEndTime,
			     DWORD dwFlags);
	/*
	 * The buffer goes back on the sample's last Release, as in
	 * DirectShow, where that Release is what calls ReleaseBuffer; a call
	 * from anyone else only checks that the sample is one of this
	 * allocator's.
	 */
	HRESULT (*ReleaseBuffer)(IMemAllocator *This, IMediaSample *pBuffer);
} IMemAllocatorVtbl;

struct IMemAllocator {
	const IMemAllocatorVtbl *lpVtbl;
};

typedef struct IMemInputPinVtbl {
	ULONG (*AddRef)(IMemInputPin *This);
	ULONG (*Release)(IMemInputPin *This);
	HRESULT (*GetAllocator)(IMemInputPin *This, IMemAllocator **ppAllocator);
	/* pAllocator must come from this header (E_INVALIDARG otherwise). */
	HRESULT (*NotifyAllocator)(IMemInputPin *This, IMemAllocator *pAllocator,
				   BOOL bReadOnly);
	HRESULT (*GetAllocatorRequirements)(IMemInputPin *This,
					    ALLOCATOR_PROPERTIES *pProps);
	HRESULT (*Receive)(IMemInputPin *This, IMediaSample *pSample);
	HRESULT (*ReceiveMultiple)(IMemInputPin *This, IMediaSample **pSamples,
				   LONG nSamples, LONG *nSamplesProcessed);
	/* S_OK: Receive may block; S_FALSE: it never does. */
	HRESULT (*ReceiveCanBlock)(IMemInputPin *This);
} IMemInputPinVtbl;

struct IMemInputPin {
	const IMemInputPinVtbl *lpVtbl;
};

/* The C call macros COM headers provide. */
#define IMediaSample_AddRef(p)			(p)->lpVtbl->AddRef(p)
#define IMediaSample_Release(p)			(p)->lpVtbl->Release(p)
#define IMediaSample_GetPointer(p, a)		(p)->lpVtbl->GetPointer(p, a)
#define IMediaSample_GetSize(p)			(p)->lpVtbl->GetSize(p)
#define IMediaSample_GetTime(p, a, b)		(p)->lpVtbl->GetTime(p, a, b)
#define IMediaSample_SetTime(p, a, b)		(p)->lpVtbl->SetTime(p, a, b)
#define IMediaSample_IsSyncPoint(p)		(p)->lpVtbl->IsSyncPoint(p)
#define IMediaSample_SetSyncPoint(p, a)		(p)->lpVtbl->SetSyncPoint(p, a)
#define IMediaSample_IsPreroll(p)		(p)->lpVtbl->IsPreroll(p)
#define IMediaSample_SetPreroll(p, a)		(p)->lpVtbl->SetPreroll(p, a)
#define IMediaSample_GetActualDataLength(p)	(p)->lpVtbl->GetActualDataLength(p)
#define IMediaSample_SetActualDataLength(p, a)	(p)->lpVtbl->SetActualDataLength(p, a)
#define IMediaSample_IsDiscontinuity(p)		(p)->lpVtbl->IsDiscontinuity(p)
#define IMediaSample_SetDiscontinuity(p, a)	(p)->lpVtbl->SetDiscontinuity(p, a)

#define IMemAllocator_AddRef(p)			(p)->lpVtbl->AddRef(p)
#define IMemAllocator_Release(p)		(p)->lpVtbl->Release(p)
#define IMemAllocator_SetProperties(p, a, b)	(p)->lpVtbl->SetProperties(p, a, b)
#define IMemAllocator_GetProperties(p, a)	(p)->lpVtbl->GetProperties(p, a)
#define IMemAllocator_Commit(p)			(p)->lpVtbl->Commit(p)
#define IMemAllocator_Decommit(p)		(p)->lpVtbl->Decommit(p)
#define IMemAllocator_GetBuffer(p, a, b, c, d)	(p)->lpVtbl->GetBuffer(p, a, b, c, d)
#define IMemAllocator_ReleaseBuffer(p, a)	(p)->lpVtbl->ReleaseBuffer(p, a)

#define IMemInputPin_AddRef(p)			(p)->lpVtbl->AddRef(p)
#define IMemInputPin_Release(p)			(p)->lpVtbl->Release(p)
#define IMemInputPin_GetAllocator(p, a)		(p)->lpVtbl->GetAllocator(p, a)
#define IMemInputPin_NotifyAllocator(p, a, b)	(p)->lpVtbl->NotifyAllocator(p, a, b)
#define IMemInputPin_GetAllocatorRequirements(p, a) \
	(p)->lpVtbl->GetAllocatorRequirements(p, a)
#define IMemInputPin_Receive(p, a)		(p)->lpVtbl->Receive(p, a)
#define IMemInputPin_ReceiveMultiple(p, a, b, c) (p)->lpVtbl->ReceiveMultiple(p, a, b, c)
#define IMemInputPin_ReceiveCanBlock(p)		(p)->lpVtbl->ReceiveCanBlock(p)

/*
 * Wrap a libzcap object in a COM object, with one reference for the
 * caller. The object takes its own reference on @a or @s (not on @pin,
 * see above). An allocator has one IMemAllocator while any reference to
 * it lives, so the interface GetAllocator returns after NotifyAllocator
 * is the one NotifyAllocator was given; pins and samples get a new object
 * per call. E_POINTER for a NULL @out (*out is NULL on every failure),
 * E_INVALIDARG for a NULL object or an output pin, E_OUTOFMEMORY.
 */
HRESULT zcap_dshow_mem_input_pin(struct zcap_pin *pin, IMemInputPin **out);
HRESULT zcap_dshow_allocator(struct zcap_allocator *a, IMemAllocator **out);
HRESULT zcap_dshow_sample(struct zcap_sample *s, IMediaSample **out);

/*
 * The libzcap object under an interface from this header (no reference
 * taken), or NULL for NULL or an object made elsewhere.
 */
struct zcap_pin *zcap_dshow_pin_of(IMemInputPin *p);
struct zcap_allocator *zcap_dshow_allocator_of(IMemAllocator *a);
struct zcap_sample *zcap_dshow_sample_of(IMediaSample *s);

/*
 * The HRESULT for a libzcap return value: S_OK for 0 and counts, the
 * DirectShow code for each ZCAP_E_* and common errno, E_FAIL for the rest.
 */
HRESULT zcap_dshow_hresult(int err);

#ifdef __cplusplus
}
#endif

#endif /* ZCAP_DSHOW_H */
